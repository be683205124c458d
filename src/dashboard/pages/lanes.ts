/**
 * Lanes: each lane's backlog, running jobs, oldest wait, concurrency and pause state (as
 * `GET /api/lanes`), with Pause and Resume for principals that may operate; both call the JSON
 * API (`POST /api/lanes/{lane}/pause|resume`), which audits them.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import { type LaneView, laneList } from "../../monitoring/lanes.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatCount, formatDuration } from "../format.ts";
import { can, renderPage } from "../layout.ts";

function laneActions(lane: LaneView) {
  return lane.paused
    ? html`<button type="button" data-api-post="/api/lanes/${lane.lane}/resume" data-done="Lane ${lane.lane} resumed." data-reload aria-label="Resume lane ${lane.lane}">Resume</button>`
    : html`<button type="button" class="danger" data-api-post="/api/lanes/${lane.lane}/pause" data-confirm="Pause lane ${lane.lane}? Its jobs wait until it is resumed." data-done="Lane ${lane.lane} paused." data-reload aria-label="Pause lane ${lane.lane}">Pause</button>`;
}

/** The lanes as a table; `actions` adds the Pause / Resume column. */
export function laneTable(lanes: LaneView[], actions: boolean) {
  return html`<table class="lanes">
  <thead><tr>
    <th scope="col">Lane</th><th scope="col">State</th><th scope="col" class="num">Queued</th>
    <th scope="col" class="num">Scheduled</th><th scope="col" class="num">Retrying</th>
    <th scope="col" class="num">Running</th><th scope="col" class="num">Concurrency</th>
    <th scope="col" class="num">Oldest wait</th><th scope="col">Worker types</th>
    ${actions ? html`<th scope="col">Actions</th>` : ""}
  </tr></thead>
  <tbody>${lanes.map(
    (lane) => html`<tr data-lane="${lane.lane}">
    <th scope="row">${lane.lane}</th>
    <td data-field="paused">${
      lane.paused
        ? html`<span class="status status-paused">paused</span>`
        : html`<span class="status status-running">active</span>`
    }</td>
    <td class="num" data-field="queued">${formatCount(lane.queued)}</td>
    <td class="num" data-field="scheduled">${formatCount(lane.scheduled)}</td>
    <td class="num" data-field="retrying">${formatCount(lane.retrying)}</td>
    <td class="num" data-field="running">${formatCount(lane.running)}</td>
    <td class="num" data-field="concurrency">${formatCount(lane.concurrency)}</td>
    <td class="num" data-field="oldest-wait">${
      lane.oldest_waiting_seconds === null
        ? "—"
        : formatDuration(lane.oldest_waiting_seconds * 1000)
    }</td>
    <td>${lane.worker_types.join(", ")}</td>
    ${actions ? html`<td>${laneActions(lane)}</td>` : ""}
  </tr>`,
  )}</tbody>
</table>`;
}

export function lanesPage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/lanes", async (c) => {
    const lanes = await laneList(deps.db, deps.laneConcurrency);
    return renderPage(c, {
      title: "Lanes",
      nav: "lanes",
      body: html`<p class="muted">Queued and retrying jobs wait for a worker; scheduled ones wait for their time. A paused lane keeps its jobs until it is resumed.</p>
${laneTable(lanes, can(c, "operate"))}`,
    });
  });
  return app;
}
