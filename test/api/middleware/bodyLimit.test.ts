import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/api/context.ts";
import { type ErrorBody, toErrorResponse } from "../../../src/api/errors.ts";
import { bodyLimit } from "../../../src/api/middleware/bodyLimit.ts";
import { loadConfig } from "../../../src/config.ts";

function limitedApp(maxBytes?: number) {
  const app = new Hono<AppEnv>();
  app.use(bodyLimit({ maxBytes }));
  app.post("/echo", async (c) => c.json({ received: (await c.req.text()).length }));
  app.onError(toErrorResponse);
  return app;
}

const post = (app: Hono<AppEnv>, body: string) =>
  app.request("/echo", { method: "POST", body, headers: { "Content-Type": "text/plain" } });

describe("bodyLimit", () => {
  it("accepts a body up to the limit", async () => {
    const response = await post(limitedApp(16), "x".repeat(16));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 16 });
  });

  it("answers 413 in the error format above the limit", async () => {
    const response = await post(limitedApp(16), "x".repeat(17));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      error: {
        code: "payload_too_large",
        message: "Request body exceeds the limit of 16 bytes",
        details: [],
      },
    });
  });

  it("defaults to 1 MiB", async () => {
    const app = limitedApp();
    expect((await post(app, "x".repeat(1024 * 1024))).status).toBe(200);
    expect((await post(app, "x".repeat(1024 * 1024 + 1))).status).toBe(413);
  });

  it("counts a chunked body with no Content-Length over real HTTP", async () => {
    const server = serve({ fetch: limitedApp(1000).fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { status, body } = await new Promise<{ status: number; body: string }>(
        (resolve, reject) => {
          const req = request({ host: "127.0.0.1", port, path: "/echo", method: "POST" }, (res) => {
            let text = "";
            res.on("data", (chunk) => (text += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          });
          req.on("error", reject);
          // No Content-Length: node sends Transfer-Encoding: chunked.
          for (let i = 0; i < 4; i++) req.write("y".repeat(400));
          req.end();
        },
      );
      expect(status).toBe(413);
      expect((JSON.parse(body) as ErrorBody).error.code).toBe("payload_too_large");
    } finally {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    }
  });

  it("lets GET and HEAD through untouched: they carry no body to count", async () => {
    const app = limitedApp(1);
    app.get("/items", (c) => c.json({ items: [] }));
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        // A GET that declares a body anyway: the server never reads it.
        const req = request(
          {
            host: "127.0.0.1",
            port,
            path: "/items",
            method: "GET",
            headers: { "Content-Length": 10 },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end("0123456789");
      });
      expect(status).toBe(200);
      expect((await app.request("/items", { method: "HEAD" })).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    }
  });

  it("reads its limit from API_MAX_BODY_BYTES", () => {
    expect(loadConfig({}).api.maxBodyBytes).toBe(1024 * 1024);
    expect(loadConfig({ API_MAX_BODY_BYTES: "2048" }).api.maxBodyBytes).toBe(2048);
    expect(() => loadConfig({ API_MAX_BODY_BYTES: "0" })).toThrow(
      /API_MAX_BODY_BYTES: must be at least 1/,
    );
  });
});
