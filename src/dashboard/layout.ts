/**
 * The frame of every dashboard page: navigation (what the session's scopes allow), who is signed
 * in, the sign-out button, and the session's CSRF token in `<meta name="csrf-token">` for the
 * page's scripts (`assets/app.js` sends it with every state-changing request).
 *
 * Pages render their body with `hono/html` (escaped by default) and hand it to `renderPage`.
 * No inline scripts or styles: the Content-Security-Policy forbids them. Page scripts are files
 * in `assets/`, listed in `scripts`.
 *
 * @example
 * app.get("/lanes", async (c) =>
 *   renderPage(c, { title: "Lanes", nav: "lanes", body: html`<table>…</table>` }),
 * );
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Scope } from "../api/auth/principal.ts";
import { hasScope } from "../api/auth/tokens.ts";
import type { AppEnv } from "../api/context.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export type NavKey =
  | "overview"
  | "executions"
  | "dead-letter"
  | "lanes"
  | "workers"
  | "schedule"
  | "calls"
  | "reports"
  | "audit";

const navigation: { key: NavKey; label: string; href: string; scope: Scope }[] = [
  { key: "overview", label: "Overview", href: "/dashboard", scope: "read" },
  { key: "executions", label: "Executions", href: "/dashboard/executions", scope: "read" },
  { key: "dead-letter", label: "Dead letter", href: "/dashboard/dead-letter", scope: "read" },
  { key: "lanes", label: "Lanes", href: "/dashboard/lanes", scope: "read" },
  { key: "workers", label: "Workers", href: "/dashboard/workers", scope: "read" },
  { key: "schedule", label: "Schedule", href: "/dashboard/schedule", scope: "read" },
  { key: "calls", label: "Calls", href: "/dashboard/calls", scope: "read" },
  { key: "reports", label: "Reports & exports", href: "/dashboard/reports", scope: "read" },
  { key: "audit", label: "Audit log", href: "/dashboard/audit", scope: "admin" },
];

/** Whether the signed-in principal may act with `scope`: pages show actions only when it may. */
export function can(c: Context<AppEnv>, scope: Scope): boolean {
  const principal = c.get("principal");
  return principal !== undefined && hasScope(principal, scope);
}

export interface PageOptions {
  title: string;
  nav: NavKey | null;
  body: Html;
  /** Files in `assets/` loaded after `app.js`, e.g. `executions.js`. */
  scripts?: string[];
  /** Files in `assets/` loaded after `app.css`, e.g. `overview.css`. */
  styles?: string[];
  status?: 200 | 400 | 403 | 404;
}

export function renderPage(c: Context<AppEnv>, options: PageOptions) {
  const principal = c.get("principal");
  const session = c.get("session");
  const links = navigation.filter((item) => can(c, item.scope));
  const page = html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="csrf-token" content="${session?.csrfToken ?? ""}">
  <title>${options.title} · Switchboard</title>
  <link rel="stylesheet" href="/dashboard/assets/app.css">
  ${(options.styles ?? []).map((file) => html`<link rel="stylesheet" href="/dashboard/assets/${file}">`)}
  <link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml">
  <script src="/dashboard/assets/app.js" defer></script>
  ${(options.scripts ?? []).map((file) => html`<script src="/dashboard/assets/${file}" defer></script>`)}
</head>
<body>
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="top">
    <a class="brand" href="/dashboard">Switchboard</a>
    <nav aria-label="Main">
      <ul>
        ${links.map(
          (item) =>
            html`<li><a href="${item.href}"${item.key === options.nav ? html` aria-current="page"` : ""}>${item.label}</a></li>`,
        )}
      </ul>
    </nav>
    <div class="who">
      <span title="scopes: ${principal?.scopes.join(", ") ?? ""}">${principal?.name ?? ""}</span>
      <form method="post" action="/dashboard/sign-out">
        <input type="hidden" name="_csrf" value="${session?.csrfToken ?? ""}">
        <button type="submit" class="link">Sign out</button>
      </form>
    </div>
  </header>
  <main id="main" tabindex="-1">
    <h1>${options.title}</h1>
    <div id="flash" role="status" aria-live="polite"></div>
    ${options.body}
  </main>
</body>
</html>`;
  return c.html(page, options.status ?? 200);
}
