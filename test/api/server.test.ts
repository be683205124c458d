/** Every route once over real HTTP, through the node server, as a client would call it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventHub } from "../../src/api/events/eventHub.ts";
import { type ApiServer, listen } from "../../src/api/server.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { db, silentLogger } from "../support/engine.ts";
import { apiRegistry, processCallRecording } from "../support/fixtures/apiTasks.ts";

let server: ApiServer;
let base: string;
let admin: Record<string, string>;

beforeAll(async () => {
  server = await listen(testApp(undefined, { registry: apiRegistry() }), "127.0.0.1", 0);
  base = `http://127.0.0.1:${server.port}`;
  admin = await authHeaders("admin");
});
afterAll(() => server.close());

describe("over real HTTP", () => {
  it("answers every route with the right status", async () => {
    const id = await enqueue(db(), processCallRecording, { call_id: 9 }, { delayMs: 60_000 });
    const routes: [string, string, number, unknown?][] = [
      ["GET", "/healthz", 200],
      ["GET", "/readyz", 200],
      ["GET", `/api/tasks/status/${id}/`, 200],
      ["GET", "/api/tasks/health/", 200],
      ["GET", "/api/tasks/health/queues/", 200],
      ["GET", "/api/tasks/health/slow/?threshold=30", 200],
      ["GET", "/api/tasks/health/failures/?hours=24", 200],
      ["GET", "/api/tasks/executions/?status=pending", 200],
      ["GET", "/api/tasks/executions/active/", 200],
      ["GET", "/api/tasks/executions/failed/", 200],
      ["GET", `/api/tasks/executions/${id}/`, 200],
      ["GET", "/api/tasks/", 200],
      ["GET", "/api/workers/", 200],
      ["GET", "/api/lanes/", 200],
      ["GET", "/api/audit/", 200],
      ["GET", "/api/alerts/?status=open", 200],
      ["GET", "/metrics", 200],
      ["GET", "/api/openapi.json", 200],
      ["GET", "/api/docs", 200],
      [
        "POST",
        "/api/tasks/send_notification/execute/",
        202,
        { payload: { to: "+15551234567", body: "hi" } },
      ],
      ["POST", "/api/lanes/exports/pause/", 200],
      ["POST", "/api/lanes/exports/resume/", 200],
      [
        "POST",
        "/api/tasks/bulk-actions/",
        200,
        { action: "cancel", task_ids: [id], dry_run: true },
      ],
      ["POST", `/api/tasks/executions/${id}/cancel/`, 200],
      ["POST", `/api/tasks/executions/${id}/retry/`, 200],
      ["POST", "/api/tasks/purge/", 200, { task_name: "process_call_recording" }],
      ["POST", "/api/tasks/purge/", 400, {}],
    ];
    for (const [method, path, expected, body] of routes) {
      const response = await fetch(base + path, {
        method,
        headers: admin,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(response.status, `${method} ${path}`).toBe(expected);
      await response.arrayBuffer();
    }
  });

  it("needs a token everywhere but the probes", async () => {
    for (const path of [
      "/api/tasks/",
      "/metrics",
      "/api/docs",
      "/api/openapi.json",
      "/api/events",
    ]) {
      const response = await fetch(base + path);
      expect(response.status, path).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        "unauthorized",
      );
    }
  });

  it("serves secure headers and no stack traces", async () => {
    const response = await fetch(`${base}/api/tasks/status/zzz/`, { headers: admin });
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const text = await response.text();
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it("describes the API in an OpenAPI document", async () => {
    const response = await fetch(`${base}/api/openapi.json`, { headers: admin });
    const doc = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/tasks/status/{task_id}",
        "/api/tasks/bulk-actions",
        "/api/tasks/purge",
        "/api/tasks/{task_name}/execute",
        "/api/lanes/{lane}/pause",
      ]),
    );
  });
});

describe("closing", () => {
  it("cuts a request still in flight once its grace is up, instead of waiting for it", async () => {
    const hub = new EventHub({ logger: silentLogger });
    try {
      const own = await listen(testApp(undefined, { hub }), "127.0.0.1", 0);
      const stream = await fetch(`http://127.0.0.1:${own.port}/api/events`, { headers: admin });
      expect(stream.status).toBe(200);
      // The hub still runs, so the event stream would stay open for as long as the client does.
      await own.close(100);
      const reader = stream.body?.getReader();
      const ended = async () => {
        for (;;) if ((await reader?.read())?.done !== false) return "ended";
      };
      expect(await ended().catch(() => "cut")).toMatch(/ended|cut/);
    } finally {
      await hub.stop();
    }
  });
});
