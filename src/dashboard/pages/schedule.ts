/**
 * Schedule: every crontab entry with its next and last run (as `GET /api/schedule`), a link to
 * the execution its last run became, and Run now for principals that may operate (through
 * `POST /api/schedule/{task_name}/run`, which audits it).
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import { scheduleList } from "../../monitoring/schedule.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { statusBadge, timeCell } from "../format.ts";
import { can, renderPage } from "../layout.ts";

export function schedulePage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/schedule", async (c) => {
    const entries = await scheduleList(deps.db, deps.schedule);
    const operate = can(c, "operate");
    const body =
      entries.length === 0
        ? html`<p class="muted">The crontab has no entries.</p>`
        : html`<table class="schedule">
  <thead><tr>
    <th scope="col">Task</th><th scope="col">Schedule</th><th scope="col">Time zone</th>
    <th scope="col">Next run</th><th scope="col">Last run</th><th scope="col">Last execution</th>
    ${operate ? html`<th scope="col">Actions</th>` : ""}
  </tr></thead>
  <tbody>${entries.map(
    (entry) => html`<tr data-entry="${entry.identifier}">
    <th scope="row" class="mono">${entry.task}</th>
    <td class="mono">${entry.schedule}</td>
    <td>${entry.time_zone}</td>
    <td>${timeCell(entry.next_run?.at)}${
      entry.next_run && entry.time_zone !== "UTC"
        ? html`<br><span class="muted mono">${entry.next_run.local}</span>`
        : ""
    }</td>
    <td>${timeCell(entry.last_run?.at)}</td>
    <td>${
      entry.last_run?.execution
        ? html`<a class="mono" href="/dashboard/executions/${entry.last_run.execution.id}">${entry.last_run.execution.id.slice(0, 8)}</a> ${statusBadge(entry.last_run.execution.status)}`
        : html`<span class="muted">—</span>`
    }</td>
    ${
      operate
        ? html`<td><button type="button" data-api-post="/api/schedule/${entry.task}/run" data-confirm="Run ${entry.task} now?" data-done="${entry.task} enqueued." aria-label="Run ${entry.task} now">Run now</button></td>`
        : ""
    }
  </tr>`,
  )}</tbody>
</table>`;
    return renderPage(c, { title: "Schedule", nav: "schedule", body, scripts: ["schedule.js"] });
  });
  return app;
}
