/**
 * Reports and exports: generate a report or an export (through the JSON API, `operate` scope as
 * there), and the lists of both, newest first, with their download links.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import type { AppEnv } from "../../api/context.ts";
import { cursorParam } from "../../api/schemas/cursor.ts";
import { exportList } from "../../exports/exportList.ts";
import { exportDirections, exportFormats } from "../../exports/filters.ts";
import { reportDownloadPath, reportFormats } from "../../reports/reportFiles.ts";
import { reportTypes } from "../../reports/reportParameters.ts";
import { reportList } from "../../reports/reportRows.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatCount, statusBadge, timeCell } from "../format.ts";
import { can, renderPage } from "../layout.ts";
import { nextPageLink, options, parseQuery } from "./paging.ts";

const PAGE_SIZE = 25;

const ReportsQuery = z.object({
  report_type: z
    .enum(reportTypes, { error: `report_type must be one of ${reportTypes.join(", ")}` })
    .optional(),
  reports_cursor: cursorParam.optional(),
  exports_cursor: cursorParam.optional(),
});

const page = { title: "Reports & exports", nav: "reports" } as const;

/** The parameters a report was asked for, as `key: value` text. */
function describe(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .filter(([key]) => key !== "report_type")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
    .join(", ");
}

const exportDownloadPath = (cacheKey: string) =>
  `/api/tasks/export/download/?cache_key=${cacheKey}`;

function generateForms() {
  return html`<div class="panel">
    <h2>Generate a report</h2>
    <form id="generate-report" class="filters">
      <div class="field"><label for="report_type">Report</label>
        <select id="report_type" name="report_type">${reportTypes.map((type) => html`<option value="${type}">${type}</option>`)}</select></div>
      <div class="field" data-for="daily"><label for="date_str">Day</label>
        <input id="date_str" name="date_str" type="date"></div>
      <div class="field" data-for="weekly"><label for="week_start_str">Week starting</label>
        <input id="week_start_str" name="week_start_str" type="date"></div>
      <div class="field" data-for="monthly"><label for="month_of">Month</label>
        <input id="month_of" name="month_of" type="month"></div>
      <div class="field" data-for="agent"><label for="agent_id">Agent id</label>
        <input id="agent_id" name="agent_id" type="number" min="1"></div>
      <div class="field" data-for="agent"><label for="range_start">From (UTC)</label>
        <input id="range_start" name="range_start" type="datetime-local"></div>
      <div class="field" data-for="agent"><label for="range_end">To (UTC)</label>
        <input id="range_end" name="range_end" type="datetime-local"></div>
      <div class="field"><label for="report_refresh">Build again</label>
        <input id="report_refresh" name="refresh" type="checkbox"></div>
      <button type="submit" class="button primary">Generate report</button>
    </form>
  </div>
  <div class="panel">
    <h2>Export call data</h2>
    <form id="export-calls" class="filters">
      <div class="field"><label for="start_date">From (UTC)</label>
        <input id="start_date" name="start_date" type="datetime-local" required></div>
      <div class="field"><label for="end_date">To (UTC)</label>
        <input id="end_date" name="end_date" type="datetime-local" required></div>
      <div class="field"><label for="export_direction">Direction</label>
        <select id="export_direction" name="direction">${options(exportDirections, undefined)}</select></div>
      <div class="field"><label for="export_format">Format</label>
        <select id="export_format" name="format">${exportFormats.map((format) => html`<option value="${format}">${format}</option>`)}</select></div>
      <button type="submit" class="button primary">Export calls</button>
    </form>
  </div>`;
}

export function reportsPage({ db }: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/reports", async (c) => {
    const parsed = parseQuery(c, ReportsQuery, page);
    if (!parsed.ok) return parsed.response;
    const { query } = parsed;
    const [reports, exports] = await Promise.all([
      reportList(db, {
        limit: PAGE_SIZE,
        after: query.reports_cursor,
        reportType: query.report_type,
      }),
      exportList(db, { limit: PAGE_SIZE, after: query.exports_cursor }),
    ]);
    const reportRows = reports.rows.map(
      (report) => html`<tr>
        <td>${report.report_type}</td>
        <td>${describe(report.parameters as Record<string, unknown>)}</td>
        <td>${statusBadge(report.status)}${report.error ? html` <span class="muted">${report.error}</span>` : ""}</td>
        <td>${timeCell(report.created_at)}</td>
        <td>${timeCell(report.generated_at)}</td>
        <td>${
          report.status === "ready"
            ? reportFormats.map(
                (format) =>
                  html`<a href="${reportDownloadPath(report.cache_key, format)}" download>${format}</a> `,
              )
            : html`<span class="muted">—</span>`
        }</td>
      </tr>`,
    );
    const now = Date.now();
    const exportRows = exports.rows.map((row) => {
      const expired = row.expires_at !== null && row.expires_at.getTime() <= now;
      return html`<tr>
        <td>${row.format}</td>
        <td>${describe(row.filters as Record<string, unknown>)}</td>
        <td>${row.requested_by}</td>
        <td>${statusBadge(expired ? "expired" : row.status)}${row.error ? html` <span class="muted">${row.error}</span>` : ""}</td>
        <td class="num">${formatCount(row.rows_done)}</td>
        <td>${timeCell(row.created_at)}</td>
        <td>${
          row.status === "ready" && !expired
            ? html`<a href="${exportDownloadPath(row.cache_key)}" download>Download</a>`
            : html`<span class="muted">—</span>`
        }</td>
      </tr>`;
    });
    return renderPage(c, {
      ...page,
      scripts: can(c, "operate") ? ["reports.js"] : [],
      body: html`
        ${can(c, "operate") ? generateForms() : ""}
        <h2>Reports</h2>
        <form class="filters" method="get" action="/dashboard/reports">
          <div class="field"><label for="filter_report_type">Report</label>
            <select id="filter_report_type" name="report_type">${options(reportTypes, query.report_type)}</select></div>
          <button type="submit" class="button">Filter</button>
        </form>
        <div class="panel">
          <table id="reports">
            <caption class="muted">${reportRows.length ? "Newest requested first" : "No reports."}</caption>
            <thead><tr><th scope="col">Report</th><th scope="col">Parameters</th><th scope="col">Status</th>
              <th scope="col">Requested</th><th scope="col">Generated</th><th scope="col">Download</th></tr></thead>
            <tbody>${reportRows}</tbody>
          </table>
          ${nextPageLink(c, reports.next, "reports_cursor")}
        </div>
        <h2>Exports</h2>
        <div class="panel">
          <table id="exports">
            <caption class="muted">${exportRows.length ? "Newest requested first" : "No exports."}</caption>
            <thead><tr><th scope="col">Format</th><th scope="col">Filters</th><th scope="col">Requested by</th>
              <th scope="col">Status</th><th scope="col" class="num">Rows</th><th scope="col">Requested</th>
              <th scope="col">Download</th></tr></thead>
            <tbody>${exportRows}</tbody>
          </table>
          ${nextPageLink(c, exports.next, "exports_cursor")}
        </div>`,
    });
  });
  return app;
}
