/**
 * Executions: the ledger, newest first, keyset-paged, with the API's filters; rows update live
 * and an operator retries or cancels selected rows or everything a filter matches (through
 * `POST /api/tasks/bulk-actions`, one transaction).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import type { AppEnv } from "../../api/context.ts";
import { zodDetails } from "../../api/errors.ts";
import { cursorParam } from "../../api/schemas/cursor.ts";
import { executionFilterFields } from "../../api/schemas/executionFilters.ts";
import { type Cursor, encodeCursor } from "../../database/keysetCursor.ts";
import { isoMillis } from "../../database/timestamps.ts";
import { executionStatuses } from "../../engine/executionStatus.ts";
import { laneNames } from "../../engine/lanes.ts";
import type { ExecutionFilters } from "../../executions/filters.ts";
import {
  type ExecutionPage,
  type ExecutionSummaryRow,
  executionList,
} from "../../executions/queries.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatDuration, statusBadge, timeCell } from "../format.ts";
import { can, type Html, renderPage } from "../layout.ts";

const PAGE_SIZE = 50;

/**
 * A payload search cannot use an index: without a time range it reads back only this far, so a
 * rare term answers quickly on a large ledger.
 */
export const PAYLOAD_SEARCH_DEFAULT_RANGE_MS = 24 * 60 * 60 * 1000;

const ListQuery = z.object({ ...executionFilterFields, cursor: cursorParam.optional() }).strict();

/** The filter text fields as given (for the form and the bulk actions' `filters`). */
export type FilterParams = Record<string, string>;

export interface ParsedListQuery {
  params: FilterParams;
  filters: ExecutionFilters;
  after?: Cursor;
  /** Set when a payload search was bounded to the default time range. */
  boundedSince?: Date;
}

/**
 * Reads the list's query string through the API's filter schema; empty fields are unset. An
 * invalid field answers `{ errors }` naming it.
 */
export function parseListQuery(
  c: Context<AppEnv>,
  allowed: readonly string[],
): ParsedListQuery | { errors: { path: string; message: string }[]; params: FilterParams } {
  const params: FilterParams = {};
  for (const [key, value] of Object.entries(c.req.queries())) {
    const last = value.at(-1)?.trim();
    if (last) params[key] = last;
  }
  const unknown = Object.keys(params).filter((key) => !allowed.includes(key));
  if (unknown.length) {
    return { errors: unknown.map((path) => ({ path, message: "unknown filter" })), params };
  }
  const parsed = ListQuery.safeParse(params);
  if (!parsed.success) return { errors: zodDetails(parsed.error), params };
  const { cursor, ...filters } = parsed.data;
  delete params.cursor;
  let boundedSince: Date | undefined;
  if (filters.payload && !filters.created_after && !filters.created_before) {
    boundedSince = new Date(Date.now() - PAYLOAD_SEARCH_DEFAULT_RANGE_MS);
    filters.created_after = boundedSince;
    params.created_after = boundedSince.toISOString();
  }
  return { params, filters, after: cursor, boundedSince };
}

export const listFields = [
  "status",
  "task_name",
  "lane",
  "created_after",
  "created_before",
  "correlation_id",
  "payload",
  "cursor",
] as const;

export function executionsPage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/executions", async (c) => {
    const query = parseListQuery(c, listFields);
    if ("errors" in query) {
      return renderPage(c, {
        title: "Executions",
        nav: "executions",
        status: 400,
        body: html`${filterForm(deps, query.params, { withStatus: true })}${errorPanel(query.errors)}`,
      });
    }
    const page = await executionList(deps.db, {
      filters: query.filters,
      limit: PAGE_SIZE,
      after: query.after,
    });
    return renderPage(c, {
      title: "Executions",
      nav: "executions",
      scripts: ["executions.js"],
      styles: ["executions.css"],
      body: html`${filterForm(deps, query.params, { withStatus: true, boundedSince: query.boundedSince })}
        ${executionTable(c, page, query.params, {
          path: "/dashboard/executions",
          actions: ["retry", "cancel"],
          liveTask: query.filters.task_name,
        })}`,
    });
  });
  return app;
}

export function errorPanel(errors: { path: string; message: string }[]) {
  return html`<div class="panel flash error" role="alert">
    <p>The filters were not understood:</p>
    <ul>${errors.map((e) => html`<li><strong>${e.path}</strong>: ${e.message}</li>`)}</ul>
  </div>`;
}

export function filterForm(
  deps: DashboardDependencies,
  params: FilterParams,
  options: { withStatus: boolean; boundedSince?: Date; action?: string },
) {
  const taskNames = deps.registry
    .all()
    .map((task) => task.name)
    .sort();
  const field = (label: string, input: Html) => html`<label>${label} ${input}</label>`;
  const text = (name: string, placeholder = "") =>
    html`<input id="f-${name}" name="${name}" type="text" value="${params[name] ?? ""}" placeholder="${placeholder}">`;
  const select = (name: string, values: readonly string[]) =>
    html`<select id="f-${name}" name="${name}"><option value="">any</option>${values.map(
      (value) =>
        html`<option value="${value}"${params[name] === value ? html` selected` : ""}>${value}</option>`,
    )}</select>`;
  return html`<form class="filters panel" method="get" action="${options.action ?? "/dashboard/executions"}" aria-label="Filters">
    ${options.withStatus ? field("Status", select("status", executionStatuses)) : ""}
    ${field("Task", select("task_name", taskNames))}
    ${field("Lane", select("lane", laneNames))}
    ${field("Created after", text("created_after", "2026-01-01T00:00:00Z"))}
    ${field("Created before", text("created_before", "2026-01-02T00:00:00Z"))}
    ${field("Correlation id", text("correlation_id"))}
    ${field("Payload contains", text("payload", 'text or {"json": "object"}'))}
    <p class="muted hint" id="payload-hint">Payload search reads the newest executions first; without a time range it looks at the last 24 hours only.${
      options.boundedSince
        ? html` <strong>Searching since ${timeCell(options.boundedSince)}.</strong>`
        : ""
    }</p>
    <button type="submit">Filter</button>
    <a href="${options.action ?? "/dashboard/executions"}">Clear</a>
  </form>`;
}

function durationMs(row: ExecutionSummaryRow): number | null {
  if (!row.started_at || !row.finished_at) return null;
  return Date.parse(isoMillis(row.finished_at)) - Date.parse(isoMillis(row.started_at));
}

export function executionTable(
  c: Context<AppEnv>,
  page: ExecutionPage,
  params: FilterParams,
  options: {
    path: string;
    actions: ("retry" | "cancel")[];
    liveTask?: string;
    matchingStatus?: string;
  },
) {
  const operate = can(c, "operate");
  const filters: Record<string, string> = { ...params };
  if (options.matchingStatus) filters.status = options.matchingStatus;
  const nextParams = page.next
    ? new URLSearchParams({ ...params, cursor: encodeCursor(page.next) }).toString()
    : null;
  return html`<section class="panel" id="executions" data-filters="${JSON.stringify(filters)}"${
    options.liveTask ? html` data-live-task="${options.liveTask}"` : ""
  }>
    ${
      operate
        ? html`<div class="actions bulk" role="group" aria-label="Bulk actions">
        ${options.actions.map(
          (action) =>
            html`<button type="button" data-bulk="${action}" data-target="selected">${label(action)} selected</button>`,
        )}
        ${options.actions.map(
          (action) =>
            html`<button type="button" data-bulk="${action}" data-target="matching">${label(action)} everything matching this filter</button>`,
        )}
      </div>`
        : ""
    }
    ${
      page.rows.length === 0
        ? html`<p class="muted">No executions match.</p>`
        : html`<div class="table-scroll"><table class="executions">
      <thead><tr>
        ${operate ? html`<th scope="col"><label><input type="checkbox" data-select-all> <span class="visually-hidden">Select all on this page</span></label></th>` : ""}
        <th scope="col">Id</th><th scope="col">Task</th><th scope="col">Lane</th><th scope="col">Status</th>
        <th scope="col">Attempts</th><th scope="col">Created</th><th scope="col">Duration</th><th scope="col">Error</th>
      </tr></thead>
      <tbody>${page.rows.map(
        (row) => html`<tr data-execution-id="${row.public_id}">
        ${operate ? html`<td><input type="checkbox" data-select value="${row.public_id}" aria-label="Select ${row.public_id}"></td>` : ""}
        <td class="mono nowrap"><a href="/dashboard/executions/${row.public_id}" title="${row.public_id}" aria-label="Execution ${row.public_id}">…${row.public_id.slice(-12)}</a></td>
        <td>${row.task_name}</td>
        <td>${row.lane}</td>
        <td>${statusBadge(row.status)}${
          row.progress !== null && row.status === "running"
            ? html` <progress max="100" value="${row.progress}" data-field="progress">${row.progress}%</progress>`
            : ""
        }</td>
        <td data-field="attempts">${row.attempts}/${row.max_attempts}</td>
        <td class="nowrap">${timeCell(isoMillis(row.created_at))}</td>
        <td>${formatDuration(durationMs(row))}</td>
        <td class="error">${row.error_class && row.status !== "succeeded" ? html`<span class="mono">${row.error_class}</span>: ${row.error_message ?? ""}` : ""}</td>
      </tr>`,
      )}</tbody>
    </table></div>`
    }
    <nav class="pager" aria-label="Pages">
      ${nextParams ? html`<a href="${options.path}?${nextParams}" rel="next">Older →</a>` : ""}
    </nav>
  </section>`;
}

function label(action: "retry" | "cancel") {
  return action === "retry" ? "Retry" : "Cancel";
}
