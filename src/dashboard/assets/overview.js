// Overview: reloads the page's figures every 15 s while the tab is visible, by fetching the page
// again and swapping its sections (the table under the chart stays open if it was).

(() => {
  const intervalMs = 15_000;
  const sections = ["health", "alerts", "throughput", "lanes", "workers"];

  async function refresh() {
    if (document.hidden) return;
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { accept: "text/html" },
    });
    if (!response.ok || response.redirected) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of sections) {
      const current = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (!current || !next) continue;
      const open = [...current.querySelectorAll("details")].map((details) => details.open);
      current.replaceWith(next);
      next.querySelectorAll("details").forEach((details, index) => {
        if (open[index]) details.open = true;
      });
    }
  }

  window.setInterval(() => {
    refresh().catch(() => {});
  }, intervalMs);
})();
