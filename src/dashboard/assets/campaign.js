// A campaign's page: refreshes its progress from GET /api/campaigns/{id} every few seconds while
// the campaign runs.

(() => {
  const panel = document.getElementById("campaign");
  if (!panel) return;
  const id = panel.dataset.campaignId;
  const refreshMs = 3000;
  const count = (value) => Math.round(value).toLocaleString("en-US");

  function show(campaign) {
    const progress = campaign.progress;
    for (const figure of panel.querySelectorAll("[data-count]")) {
      const value = progress[figure.dataset.count];
      if (typeof value === "number") figure.textContent = count(value);
    }
    const ended = progress.completed + progress.failed;
    const bar = document.getElementById("campaign-progress");
    bar.max = Math.max(progress.total, 1);
    bar.value = ended;
    bar.textContent = `${ended} of ${progress.total}`;
    panel.querySelector('[data-field="ended"]').textContent = count(ended);
    panel.querySelector('[data-field="total"]').textContent = count(progress.total);
    const status = panel.querySelector('[data-field="campaign-status"] .status');
    if (status && status.textContent !== campaign.status) {
      status.textContent = campaign.status;
      status.className = `status status-${campaign.status.replaceAll("_", "-")}`;
    }
    panel.dataset.status = campaign.status;
  }

  async function refresh() {
    try {
      show(await Switchboard.api("GET", `/api/campaigns/${encodeURIComponent(id)}`));
    } catch (error) {
      Switchboard.flash(`Progress could not be refreshed: ${error.message}`, "error");
    }
    if (panel.dataset.status === "running") setTimeout(refresh, refreshMs);
  }

  if (panel.dataset.status === "running") setTimeout(refresh, refreshMs);
})();
