/** Query strings of list pages: validated with the API's own schemas, and the next page's link. */
import type { Context } from "hono";
import { html } from "hono/html";
import type { z } from "zod";
import type { AppEnv } from "../../api/context.ts";
import { type Cursor, encodeCursor } from "../../database/keysetCursor.ts";
import { type NavKey, renderPage } from "../layout.ts";

/** The query parsed by `schema`, or a 400 page naming what is wrong. */
export function parseQuery<Schema extends z.ZodType>(
  c: Context<AppEnv>,
  schema: Schema,
  page: { title: string; nav: NavKey },
): { ok: true; query: z.output<Schema> } | { ok: false; response: Response | Promise<Response> } {
  // An empty field of a filter form means "any".
  const given = Object.fromEntries(
    Object.entries(c.req.query()).filter(([, value]) => value !== ""),
  );
  const parsed = schema.safeParse(given);
  if (parsed.success) return { ok: true, query: parsed.data };
  const problems = parsed.error.issues.map(
    (issue) => html`<li>${issue.path.join(".") || "query"}: ${issue.message}</li>`,
  );
  return {
    ok: false,
    response: renderPage(c, {
      ...page,
      status: 400,
      body: html`<div class="panel"><p>This list cannot be shown:</p><ul>${problems}</ul>
        <p><a href="${c.req.path}">Show the list without filters</a></p></div>`,
    }),
  };
}

/** "Next page" keeping the current filters, when there is a next page. */
export function nextPageLink(c: Context<AppEnv>, next: Cursor | null, name = "cursor") {
  const paged = c.req.query(name) !== undefined;
  if (!next && !paged) return html``;
  const params = new URLSearchParams(c.req.query());
  params.delete(name);
  const first = params.size ? `${c.req.path}?${params}` : c.req.path;
  if (next) params.set(name, encodeCursor(next));
  return html`<nav class="pager" aria-label="Pages">
    ${paged ? html`<a href="${first}">Newest</a>` : ""}
    ${next ? html`<a href="${c.req.path}?${params.toString()}" rel="next">Next page</a>` : ""}
  </nav>`;
}

/** `<option>`s for a filter's `<select>`, the current value selected, "any" first. */
export function options(values: readonly string[], current: string | undefined) {
  return html`<option value="">any</option>${values.map(
    (value) =>
      html`<option value="${value}"${value === current ? html` selected` : ""}>${value}</option>`,
  )}`;
}
