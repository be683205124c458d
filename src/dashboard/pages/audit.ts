/** The audit log (admin only, as GET /api/audit): who did what, newest first, by actor and action. */
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import type { AppEnv } from "../../api/context.ts";
import { cursorParam } from "../../api/schemas/cursor.ts";
import { auditList } from "../../control/audit.ts";
import { refuseUnstorable } from "../../database/storableText.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { timeCell } from "../format.ts";
import { can, renderPage } from "../layout.ts";
import { nextPageLink, parseQuery } from "./paging.ts";

const text = z.string().min(1).max(200).superRefine(refuseUnstorable).optional();
const AuditQuery = z.object({
  actor: text,
  action: text,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: cursorParam.optional(),
});

const page = { title: "Audit log", nav: "audit" } as const;

export function auditPage({ db }: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/audit", async (c) => {
    if (!can(c, "admin")) {
      return renderPage(c, {
        ...page,
        status: 403,
        body: html`<div class="panel"><p>The audit log needs the admin scope.</p></div>`,
      });
    }
    const parsed = parseQuery(c, AuditQuery, page);
    if (!parsed.ok) return parsed.response;
    const { query } = parsed;
    const result = await auditList(db, {
      limit: query.limit,
      after: query.cursor,
      actor: query.actor,
      action: query.action,
    });
    const rows = result.entries.map(
      (entry) => html`<tr>
        <td>${timeCell(entry.at)}</td>
        <td><a href="/dashboard/audit?actor=${encodeURIComponent(entry.actor)}">${entry.actor}</a></td>
        <td><a href="/dashboard/audit?action=${encodeURIComponent(entry.action)}">${entry.action}</a></td>
        <td class="mono">${entry.target_ids.join(", ")}</td>
        <td>${entry.outcome}</td>
        <td class="mono">${entry.details && Object.keys(entry.details).length ? JSON.stringify(entry.details) : ""}</td>
      </tr>`,
    );
    return renderPage(c, {
      ...page,
      body: html`
        <form class="filters" method="get" action="/dashboard/audit">
          <div class="field"><label for="actor">Actor</label>
            <input id="actor" name="actor" value="${query.actor ?? ""}" placeholder="user:alice"></div>
          <div class="field"><label for="action">Action</label>
            <input id="action" name="action" value="${query.action ?? ""}" placeholder="recording.download"></div>
          <button type="submit" class="button">Filter</button>
        </form>
        <div class="panel">
          <table>
            <caption class="muted">${rows.length ? "Newest first" : "No entries match."}</caption>
            <thead><tr><th scope="col">At</th><th scope="col">Actor</th><th scope="col">Action</th>
              <th scope="col">Targets</th><th scope="col">Outcome</th><th scope="col">Details</th></tr></thead>
            <tbody>${rows}</tbody>
          </table>
          ${nextPageLink(c, result.next)}
        </div>`,
    });
  });
  return app;
}
