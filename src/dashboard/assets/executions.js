// Execution lists (executions, dead letter): select rows, bulk retry/cancel through the API
// (a dry run first for "everything matching", to confirm its count), and live row updates.

(() => {
  const section = document.getElementById("executions");
  if (!section) return;
  const filters = JSON.parse(section.dataset.filters || "{}");
  const boxes = () => [...section.querySelectorAll("input[data-select]")];
  const selectAll = section.querySelector("input[data-select-all]");

  selectAll?.addEventListener("change", () => {
    for (const box of boxes()) box.checked = selectAll.checked;
  });
  section.addEventListener("change", (event) => {
    if (!event.target.matches("input[data-select]") || !selectAll) return;
    selectAll.checked = boxes().every((box) => box.checked);
  });

  function setStatus(row, status) {
    const badge = row.querySelector('[data-field="status"]');
    if (!badge) return;
    badge.textContent = status;
    badge.className = `status status-${status.replaceAll("_", "-")}`;
  }

  const outcomeStatus = { cancelled: "cancelled", retried: "queued" };

  async function bulk(action, target) {
    const verb = action === "retry" ? "Retry" : "Cancel";
    let body;
    if (target === "selected") {
      const ids = boxes()
        .filter((box) => box.checked)
        .map((box) => box.value);
      if (ids.length === 0) {
        Switchboard.flash("Select executions first.", "error");
        return;
      }
      const noun = ids.length === 1 ? "execution" : "executions";
      if (!window.confirm(`${verb} ${ids.length} selected ${noun}?`)) return;
      body = { action, task_ids: ids };
    } else {
      const dry = await Switchboard.api("POST", "/api/tasks/bulk-actions", {
        action,
        filters,
        dry_run: true,
      });
      if (dry.matched === 0) {
        Switchboard.flash("No executions match this filter.", "info");
        return;
      }
      const noun = dry.matched === 1 ? "execution" : "executions";
      if (!window.confirm(`${verb} ${dry.matched} ${noun} matching this filter?`)) return;
      body = { action, filters };
    }
    const result = await Switchboard.api("POST", "/api/tasks/bulk-actions", body);
    for (const { task_id, outcome } of result.results) {
      const row = section.querySelector(`tr[data-execution-id="${task_id}"]`);
      if (row && outcomeStatus[outcome]) setStatus(row, outcomeStatus[outcome]);
    }
    const counts = Object.entries(result.summary)
      .map(([outcome, n]) => `${n} ${outcome}`)
      .join(", ");
    Switchboard.flash(`${verb}: ${counts || "nothing to do"}.`, "ok");
  }

  for (const button of section.querySelectorAll("button[data-bulk]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await bulk(button.dataset.bulk, button.dataset.target);
      } catch (error) {
        Switchboard.flash(error.message, "error");
      } finally {
        button.disabled = false;
      }
    });
  }

  const source = Switchboard.live({ task: section.dataset.liveTask }, (kind, data) => {
    const row = section.querySelector(`tr[data-execution-id="${data.id}"]`);
    if (!row) return;
    if (data.status) setStatus(row, data.status);
    if (kind === "started") {
      const attempts = row.querySelector('[data-field="attempts"]');
      const match = attempts && /^(\d+)\/(\d+)$/.exec(attempts.textContent);
      if (match) attempts.textContent = `${Number(match[1]) + 1}/${match[2]}`;
    }
    const progress = row.querySelector('[data-field="progress"]');
    if (progress && typeof data.progress === "number") progress.value = data.progress;
  });
  source.addEventListener("open", () => {
    section.dataset.live = "open";
  });
})();
