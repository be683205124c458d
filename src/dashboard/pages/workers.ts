/**
 * Workers: every worker process alive, silent (no heartbeat for `silentAfterMs`) or stopped in
 * the last hour, as `GET /api/workers`, with what each has run and is running.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import { workerList } from "../../monitoring/fleet.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatCount, formatDuration, timeCell } from "../format.ts";
import { renderPage } from "../layout.ts";

type WorkerState = "alive" | "silent" | "stopped";

export function workersPage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/workers", async (c) => {
    const workers = await workerList(deps.db, deps.silentAfterMs);
    const now = Date.now();
    const stateOf = (worker: (typeof workers)[number]): WorkerState =>
      worker.alive ? "alive" : worker.stopped_at ? "stopped" : "silent";
    const alive = workers.filter((worker) => worker.alive).length;
    const silent = workers.filter((worker) => stateOf(worker) === "silent").length;
    const body = html`<div class="cards">
  <div class="card"><div class="figure" data-figure="alive">${formatCount(alive)}</div><div class="label">alive</div></div>
  <div class="card"><div class="figure" data-figure="silent">${formatCount(silent)}</div><div class="label">silent (no heartbeat for ${formatDuration(deps.silentAfterMs)})</div></div>
</div>
${
  workers.length === 0
    ? html`<p class="muted">No worker has run in the last hour.</p>`
    : html`<table class="workers">
  <thead><tr>
    <th scope="col">Worker</th><th scope="col">State</th><th scope="col">Type</th><th scope="col">Host</th>
    <th scope="col" class="num">PID</th><th scope="col" class="num">Uptime</th>
    <th scope="col" class="num">Jobs done</th><th scope="col" class="num">Running</th>
    <th scope="col">Last seen</th><th scope="col">Lanes</th>
  </tr></thead>
  <tbody>${workers.map((worker) => {
    const state = stateOf(worker);
    const end = worker.stopped_at?.getTime() ?? now;
    return html`<tr data-worker="${worker.id}" class="worker-${state}">
    <th scope="row" class="mono">${worker.id}</th>
    <td><span class="status status-${state}" data-field="state">${state}</span>${
      worker.stop_reason ? html` <span class="muted">${worker.stop_reason}</span>` : ""
    }${
      worker.lost_executions.length > 0
        ? html`<br><span class="muted">was running</span> ${worker.lost_executions.map(
            (id) => html`<a class="mono" href="/dashboard/executions/${id}">${id.slice(0, 8)}</a> `,
          )}`
        : ""
    }</td>
    <td>${worker.type}</td>
    <td>${worker.host}</td>
    <td class="num">${worker.pid}</td>
    <td class="num">${formatDuration(end - worker.started_at.getTime())}</td>
    <td class="num" data-field="jobs-done">${formatCount(Number(worker.jobs_done))}</td>
    <td class="num" data-field="running">${formatCount(worker.running_jobs)}</td>
    <td>${timeCell(worker.last_seen_at)}</td>
    <td>${worker.lanes.join(", ")}</td>
  </tr>`;
  })}</tbody>
</table>`
}`;
    return renderPage(c, { title: "Workers", nav: "workers", body });
  });
  return app;
}
