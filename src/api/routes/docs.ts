/**
 * The OpenAPI document (`/api/openapi.json`) and a browsable Swagger UI (`/api/docs`), served
 * from the swagger-ui-dist package so it works without internet access.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";

const assetsDir = path.dirname(
  createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
);
const assets: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Switchboard API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>`;

// Kept out of the page so the Content-Security-Policy can forbid inline scripts.
const init = `window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui" });`;

export function docsRoutes(api: OpenAPIHono<AppEnv>, guard: MiddlewareHandler<AppEnv>[]) {
  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API token from `switchboard token create`",
  });
  const document = () =>
    api.getOpenAPI31Document({
      openapi: "3.1.0",
      security: [{ bearerAuth: [] }],
      info: {
        title: "Switchboard API",
        version: "1",
        description:
          "Status and control of Switchboard's jobs. Every route needs `Authorization: Bearer <token>` " +
          "except /healthz, /readyz and the Twilio webhooks.",
      },
    });
  const app = new Hono<AppEnv>();
  app.use("/api/openapi.json", ...guard);
  app.use("/api/docs", ...guard);
  app.get("/api/openapi.json", (c) => c.json(document()));
  app.get("/api/docs", (c) => c.html(page));
  app.get("/api/docs/init.js", (c) =>
    c.body(init, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );
  app.get("/api/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = assets[file];
    if (!type) return c.notFound();
    const body = await readFile(path.join(assetsDir, file));
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
  return app;
}
