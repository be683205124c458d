// One execution's page: status and progress follow live events; Retry and Cancel show for the
// statuses that allow them.

(() => {
  const section = document.getElementById("execution");
  if (!section) return;
  const id = section.dataset.executionId;
  const badge = section.querySelector('[data-field="status"]');
  const progress = section.querySelector('[data-field="progress"]');
  const message = section.querySelector('[data-field="progress-message"]');
  const attempts = section.querySelector('[data-field="attempts"]');
  const retry = section.querySelector('button[data-action="retry"]');
  const cancel = section.querySelector('button[data-action="cancel"]');
  const terminal = ["succeeded", "dead", "cancelled", "expired"];
  const retryable = ["dead", "cancelled", "expired"];

  function show(status) {
    badge.textContent = status;
    badge.className = `status status-${status.replaceAll("_", "-")}`;
    if (retry) retry.hidden = !retryable.includes(status);
    if (cancel) cancel.hidden = terminal.includes(status);
  }

  // An event that arrives while an action's request is out is newer than its answer.
  let liveSinceAction = false;
  section.addEventListener("click", (event) => {
    if (event.target.closest("button[data-action]")) liveSinceAction = false;
  });
  section.addEventListener("switchboard:done", (event) => {
    const execution = event.detail?.execution;
    if (execution && !liveSinceAction) {
      show(execution.status);
      attempts.textContent = String(execution.attempts);
    }
  });

  const source = Switchboard.live({ execution: id }, (kind, data) => {
    if (data.id !== id) return;
    liveSinceAction = true;
    if (data.status) show(data.status);
    if (kind === "started") attempts.textContent = String(Number(attempts.textContent) + 1);
    if (typeof data.progress === "number") progress.value = data.progress;
    if (kind === "succeeded") progress.value = 100;
    if (message && data.message !== undefined && data.message !== null) {
      message.textContent = data.message;
    }
  });
  source.addEventListener("open", () => {
    section.dataset.live = "open";
  });
})();
