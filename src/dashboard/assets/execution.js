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

  section.addEventListener("switchboard:done", (event) => {
    const execution = event.detail?.execution;
    if (execution) {
      show(execution.status);
      attempts.textContent = String(execution.attempts);
    }
  });

  Switchboard.live({ execution: id }, (kind, data) => {
    if (data.id !== id) return;
    if (data.status) show(data.status);
    if (kind === "started") attempts.textContent = String(Number(attempts.textContent) + 1);
    if (typeof data.progress === "number") progress.value = data.progress;
    if (kind === "succeeded") progress.value = 100;
    if (message && data.message !== undefined && data.message !== null) {
      message.textContent = data.message;
    }
  });
})();
