/**
 * One execution: its facts, attempts, children, payload (secrets redacted, as the ledger holds
 * it), result and error; status and progress update live; Retry and Cancel for operators.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import type { AppEnv } from "../../api/context.ts";
import { isoMillis } from "../../database/timestamps.ts";
import { isRetryableStatus, isTerminalStatus } from "../../engine/executionStatus.ts";
import {
  executionGetByPublicId,
  executionListAttempts,
  executionListChildren,
} from "../../executions/queries.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatDuration, statusBadge, timeCell } from "../format.ts";
import { can, renderPage } from "../layout.ts";

const publicId = z.uuid();

export function executionPage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/executions/:id", async (c) => {
    const id = c.req.param("id");
    if (!publicId.safeParse(id).success) {
      return renderPage(c, {
        title: "Execution",
        nav: "executions",
        status: 400,
        body: html`<div class="panel flash error" role="alert"><p><strong>id</strong>: "${id}" is not an execution id (a UUID).</p></div>`,
      });
    }
    const row = await executionGetByPublicId(deps.db, id);
    if (!row) {
      return renderPage(c, {
        title: "Execution not found",
        nav: "executions",
        status: 404,
        body: html`<div class="panel"><p>No execution ${id}.</p><p><a href="/dashboard/executions">All executions</a></p></div>`,
      });
    }
    const [attempts, children] = await Promise.all([
      executionListAttempts(deps.db, row.id),
      executionListChildren(deps.db, id),
    ]);
    const operate = can(c, "operate");
    const fact = (term: string, value: unknown) => html`<dt>${term}</dt><dd>${value}</dd>`;
    const json = (value: unknown) =>
      value === null || value === undefined
        ? html`<p class="muted">—</p>`
        : html`<pre class="mono">${JSON.stringify(value, null, 2)}</pre>`;
    const ms = (from: Date | string | null, to: Date | string | null) =>
      from && to ? new Date(to).getTime() - new Date(from).getTime() : null;
    return renderPage(c, {
      title: `Execution ${row.public_id}`,
      nav: "executions",
      scripts: ["execution.js"],
      styles: ["executions.css"],
      body: html`<section class="panel" id="execution" data-execution-id="${row.public_id}">
        <p>${statusBadge(row.status)}
          <progress max="100" value="${row.progress ?? 0}" data-field="progress" aria-label="Progress">${row.progress ?? 0}%</progress>
          <span data-field="progress-message">${row.progress_message ?? ""}</span></p>
        ${
          operate
            ? html`<div class="actions">
          <button type="button" data-action="retry" data-api-post="/api/tasks/executions/${row.public_id}/retry" data-done="Retried."${isRetryableStatus(row.status) ? "" : html` hidden`}>Retry</button>
          <button type="button" data-action="cancel" data-api-post="/api/tasks/executions/${row.public_id}/cancel" data-confirm="Cancel this execution?" data-done="Cancel requested."${isTerminalStatus(row.status) ? html` hidden` : ""}>Cancel</button>
        </div>`
            : ""
        }
        <dl class="facts">
          ${fact("Task", row.task_name)}
          ${fact("Lane", row.lane)}
          ${fact("Priority", String(row.priority))}
          ${fact("Attempts", html`<span data-field="attempts">${row.attempts}</span>/${row.max_attempts}`)}
          ${fact("Created", timeCell(isoMillis(row.created_at)))}
          ${fact("Run at", timeCell(isoMillis(row.run_at)))}
          ${fact("Started", timeCell(isoMillis(row.started_at)))}
          ${fact("Finished", timeCell(isoMillis(row.finished_at)))}
          ${fact("Duration", formatDuration(ms(isoMillis(row.started_at), isoMillis(row.finished_at))))}
          ${fact("Worker", row.worker_id ?? "—")}
          ${fact("Correlation id", row.correlation_id ? html`<a href="/dashboard/executions?correlation_id=${encodeURIComponent(row.correlation_id)}">${row.correlation_id}</a>` : "—")}
          ${fact("Parent", row.parent_id ? html`<a class="mono" href="/dashboard/executions/${row.parent_id}">${row.parent_id}</a>` : "—")}
        </dl>
      </section>
      <section class="panel" aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        ${
          attempts.length === 0
            ? html`<p class="muted">Not run yet.</p>`
            : html`<table class="attempts"><thead><tr><th scope="col">#</th><th scope="col">Outcome</th><th scope="col">Worker</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
          <tbody>${attempts.map(
            (
              a,
            ) => html`<tr data-attempt="${a.attempt}"><td>${a.attempt}</td><td>${statusBadge(a.outcome)}</td><td>${a.worker_id ?? "—"}</td>
              <td>${timeCell(a.started_at)}</td><td>${formatDuration(ms(a.started_at, a.finished_at))}</td>
              <td>${a.error_class ? html`<span class="mono">${a.error_class}</span>: ${a.error_message ?? ""}` : ""}</td></tr>`,
          )}</tbody></table>`
        }
      </section>
      <section class="panel" aria-labelledby="children-h">
        <h2 id="children-h">Children</h2>
        ${
          children.length === 0
            ? html`<p class="muted">None.</p>`
            : html`<ul class="children">${children.map(
                (child) =>
                  html`<li data-child-id="${child.public_id}"><a class="mono" href="/dashboard/executions/${child.public_id}">${child.public_id}</a> ${child.task_name} ${statusBadge(child.status)}</li>`,
              )}</ul>`
        }
      </section>
      <section class="panel" aria-labelledby="payload-h"><h2 id="payload-h">Payload</h2>${json(row.payload)}</section>
      <section class="panel" aria-labelledby="result-h"><h2 id="result-h">Result</h2>${json(row.result)}</section>
      <section class="panel" aria-labelledby="error-h"><h2 id="error-h">Error</h2>${
        row.error_class
          ? html`<p><span class="mono">${row.error_class}</span>: ${row.error_message ?? ""}</p>${row.error_stack ? html`<pre class="mono">${row.error_stack}</pre>` : ""}`
          : html`<p class="muted">—</p>`
      }</section>`,
    });
  });
  return app;
}
