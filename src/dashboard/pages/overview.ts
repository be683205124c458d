/** Overview: the fleet's health at a glance. */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { renderPage } from "../layout.ts";

export function overviewPage(_deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/", (c) =>
    renderPage(c, { title: "Overview", nav: "overview", body: html`<div class="panel"></div>` }),
  );
  return app;
}
