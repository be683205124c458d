/**
 * The dashboard's static files (`src/dashboard/assets/`), read once and served from memory with
 * an ETag, so a page load costs no disk reads and a revisit costs a 304.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { AppEnv } from "../api/context.ts";

const typesByExtension: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

const assetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "assets");

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(assetsDir)) {
    const type = typesByExtension[path.extname(file)];
    if (!type) continue;
    const body = readFileSync(path.join(assetsDir, file));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(file, { body, type, etag });
  }
  return assets;
}

export function assetRoutes() {
  const assets = loadAssets();
  const app = new Hono<AppEnv>();
  app.get("/assets/:file", (c) => {
    const asset = assets.get(c.req.param("file"));
    if (!asset) return c.notFound();
    const headers = { etag: asset.etag, "cache-control": "no-cache" };
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(asset.body), 200, { ...headers, "content-type": asset.type });
  });
  return app;
}
