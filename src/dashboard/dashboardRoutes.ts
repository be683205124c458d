/**
 * The operator's dashboard at `/dashboard`: server-rendered pages (hono/html) over the same read
 * modules as the API, with a little plain JavaScript (`assets/`) that calls the JSON API with the
 * session's cookie and CSRF token for every action and listens to `/api/events` for live rows.
 * Every response carries `Server-Timing: app;dur=<ms>` (the server's time for the page) and a
 * Content-Security-Policy that allows only this site's own scripts and styles.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../api/context.ts";
import { assetRoutes } from "./assets.ts";
import type { DashboardDependencies } from "./dependencies.ts";
import { renderPage } from "./layout.ts";
import { dashboardPages } from "./pages/index.ts";
import { requireSession } from "./requireSession.ts";
import { signInRoutes } from "./signIn.ts";

const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

function dashboardHeaders(): MiddlewareHandler<AppEnv> {
  return async function setDashboardHeaders(c, next) {
    const started = performance.now();
    await next();
    c.header("Content-Security-Policy", contentSecurityPolicy);
    // The default no-referrer would make browsers send `Origin: null` with the dashboard's own
    // forms, which the cross-site check must refuse.
    c.header("Referrer-Policy", "same-origin");
    c.header("Server-Timing", `app;dur=${(performance.now() - started).toFixed(1)}`);
    if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
  };
}

export function dashboardRoutes(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.use(dashboardHeaders());
  app.route("/", assetRoutes());
  app.use(
    requireSession({
      db: deps.db,
      lifetime: deps.sessionLifetime,
      openPaths: ["/dashboard/sign-in", "/dashboard/assets/*"],
    }),
  );
  app.route("/", signInRoutes(deps));
  for (const page of dashboardPages) app.route("/", page(deps));
  app.all("/*", (c) =>
    renderPage(c, {
      title: "Not found",
      nav: null,
      status: 404,
      body: html`<p>No dashboard page at <code>${c.req.path}</code>. <a href="/dashboard">Go to the overview</a>.</p>`,
    }),
  );
  return app;
}
