/** Calls: every call, newest first, by direction, outcome and call queue (as GET /api/calls). */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import { CallListQuery } from "../../api/schemas/call.ts";
import { callDirections, callList, callOutcomes } from "../../calls/callList.ts";
import { toCallView } from "../../calls/callViews.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatDuration, statusBadge, timeCell } from "../format.ts";
import { renderPage } from "../layout.ts";
import { nextPageLink, options, parseQuery } from "./paging.ts";

const page = { title: "Calls", nav: "calls" } as const;

export function callsPage({ db }: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/calls", async (c) => {
    const parsed = parseQuery(c, CallListQuery, page);
    if (!parsed.ok) return parsed.response;
    const { query } = parsed;
    const result = await callList(db, {
      limit: query.limit,
      after: query.cursor,
      direction: query.direction,
      outcome: query.outcome,
      callQueue: query.call_queue,
    });
    const calls = result.rows.map(toCallView);
    const rows = calls.map(
      (call) => html`<tr>
        <td><a class="mono" href="/dashboard/calls/${call.call_id}">${call.call_sid ?? call.call_id}</a></td>
        <td>${call.direction}</td>
        <td>${call.from_number ?? "—"}</td>
        <td>${call.to_number}</td>
        <td>${statusBadge(call.status)}</td>
        <td>${call.outcome ?? html`<span class="muted">—</span>`}</td>
        <td>${call.call_queue ?? html`<span class="muted">—</span>`}</td>
        <td>${call.campaign_id ? html`<a href="/dashboard/campaigns/${call.campaign_id}">campaign</a>` : html`<span class="muted">—</span>`}</td>
        <td class="num">${formatDuration(call.duration_seconds === null ? null : call.duration_seconds * 1000)}</td>
        <td>${timeCell(call.created_at)}</td>
      </tr>`,
    );
    return renderPage(c, {
      ...page,
      body: html`
        <p><a href="/dashboard/campaigns">Campaigns</a></p>
        <form class="filters" method="get" action="/dashboard/calls">
          <div class="field"><label for="direction">Direction</label>
            <select id="direction" name="direction">${options(callDirections, query.direction)}</select></div>
          <div class="field"><label for="outcome">Outcome</label>
            <select id="outcome" name="outcome">${options(callOutcomes, query.outcome)}</select></div>
          <div class="field"><label for="call_queue">Call queue</label>
            <input id="call_queue" name="call_queue" value="${query.call_queue ?? ""}"></div>
          <button type="submit" class="button">Filter</button>
        </form>
        <div class="panel">
          <table>
            <caption class="muted">${calls.length ? "Newest first" : "No calls match."}</caption>
            <thead><tr><th scope="col">Call</th><th scope="col">Direction</th><th scope="col">From</th>
              <th scope="col">To</th><th scope="col">Status</th><th scope="col">Outcome</th>
              <th scope="col">Call queue</th><th scope="col">Campaign</th>
              <th scope="col" class="num">Duration</th><th scope="col">Created</th></tr></thead>
            <tbody>${rows}</tbody>
          </table>
          ${nextPageLink(c, result.next)}
        </div>`,
    });
  });
  return app;
}
