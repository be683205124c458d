// Schedule: after Run now, the flash message links to the execution the run became.

document.addEventListener("switchboard:done", (event) => {
  const taskId = event.detail?.task_id;
  const box = document.getElementById("flash");
  if (!taskId || !box) return;
  box.append(" ");
  const link = document.createElement("a");
  link.href = `/dashboard/executions/${encodeURIComponent(taskId)}`;
  link.textContent = "Open its execution";
  box.append(link);
});
