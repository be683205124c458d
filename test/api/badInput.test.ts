import { beforeAll, describe, expect, it } from "vitest";
import type { ErrorBody } from "../../src/api/errors.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { tasks } from "../../tasks/index.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { countRows } from "../support/calls.ts";
import { db } from "../support/engine.ts";

const registry = new TaskRegistry(tasks);
const app = () => testApp(undefined, { registry });
let admin: Record<string, string>;
beforeAll(async () => {
  admin = await authHeaders("admin");
});

async function send(method: string, path: string, body?: string) {
  const response = await app().request(path, { method, headers: admin, body });
  return { status: response.status, body: (await response.json()) as ErrorBody };
}

const written = () =>
  Promise.all((["calls", "executions", "audit_log"] as const).map((t) => countRows(db(), t)));

/** Asserts a 400 naming `field`, and that nothing was written. */
async function expectRefused(field: string, method: string, path: string, body?: string) {
  const before = await written();
  const { status, body: answer } = await send(method, path, body);
  expect(status, `${method} ${path}`).toBe(400);
  expect(answer.error.code).toBe("validation_failed");
  expect(answer.error.details.map((detail) => detail.path)).toContain(field);
  expect(await written()).toEqual(before);
}

const nested = (depth: number, inner = "1") => "[".repeat(depth) + inner + "]".repeat(depth);

describe("deeply nested JSON", () => {
  it("is refused with 400 naming the top-level field that holds it, at 10,000 deep", async () => {
    const deep = nested(10_000);
    await expectRefused(
      "payload",
      "POST",
      "/api/tasks/debug_task/execute",
      `{"payload":{"x":${deep}}}`,
    );
    await expectRefused(
      "call_metadata",
      "POST",
      "/api/calls",
      `{"to_number":"+15551234567","call_metadata":{"x":${deep}}}`,
    );
    await expectRefused(
      "task_ids",
      "POST",
      "/api/tasks/bulk-actions",
      `{"action":"cancel","task_ids":${deep}}`,
    );
    await expectRefused("0", "POST", "/api/tasks/bulk-actions", deep);
  });

  it("is accepted up to 64 levels of arrays and objects", async () => {
    // The body and the payload object are two levels; the array nests 62 more.
    const at = (depth: number) => `{"payload":{"x":${nested(depth)}}}`;
    const accepted = await send("POST", "/api/tasks/debug_task/execute", at(62));
    expect(accepted.status).toBe(202);
    await expectRefused("payload", "POST", "/api/tasks/debug_task/execute", at(63));
  });
});

describe("timestamps outside 0001-01-01T00:00:00Z … 9999-12-31T23:59:59Z", () => {
  const outside = ["0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"];

  it("are refused in run_at, expires_at and schedule_time", async () => {
    for (const at of outside) {
      for (const option of ["run_at", "expires_at"]) {
        await expectRefused(
          `options.${option}`,
          "POST",
          "/api/tasks/debug_task/execute",
          JSON.stringify({ payload: {}, options: { [option]: at } }),
        );
      }
      await expectRefused(
        "schedule_time",
        "POST",
        "/api/calls/schedule",
        JSON.stringify({ to_number: "+15551234567", schedule_time: at }),
      );
      await expectRefused(
        "payload.schedule_time",
        "POST",
        "/api/tasks/schedule_call/execute",
        JSON.stringify({ payload: { to_number: "+15551234567", schedule_time: at } }),
      );
    }
  });

  it("are refused in the created_after and created_before filters", async () => {
    for (const at of outside) {
      for (const filter of ["created_after", "created_before"]) {
        const query = `${filter}=${encodeURIComponent(at)}`;
        await expectRefused(filter, "GET", `/api/tasks/executions?${query}`);
        await expectRefused(filter, "GET", `/api/tasks/executions/failed?${query}`);
        await expectRefused(
          `filters.${filter}`,
          "POST",
          "/api/tasks/bulk-actions",
          JSON.stringify({ action: "cancel", filters: { [filter]: at } }),
        );
      }
    }
  });

  it("are accepted at both ends of the range, and read back as given", async () => {
    for (const at of ["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]) {
      const { status, body } = await send(
        "POST",
        "/api/tasks/debug_task/execute",
        JSON.stringify({ payload: {}, options: { run_at: at } }),
      );
      expect(status).toBe(202);
      const { task_id } = body as unknown as { task_id: string };
      const view = await send("GET", `/api/tasks/status/${task_id}`);
      expect(view.status).toBe(200);
      expect((view.body as unknown as { run_at: string }).run_at).toBe(at);
    }
  });
});

describe("a cursor holding an impossible date", () => {
  const cursorOf = (at: string) => Buffer.from(JSON.stringify([at, 1])).toString("base64url");
  const impossible = [
    "2026-02-30T00:00:00.000000Z",
    "2026-04-31T00:00:00.000000Z",
    "2026-01-01T24:00:00.000000Z",
    "0000-01-01T00:00:00.000000Z",
  ];

  it("is refused with 400 naming cursor on executions and audit", async () => {
    for (const at of impossible) {
      for (const path of [
        "/api/tasks/executions",
        "/api/tasks/executions/active",
        "/api/tasks/executions/failed",
        "/api/audit",
      ]) {
        await expectRefused("cursor", "GET", `${path}?cursor=${cursorOf(at)}`);
      }
    }
  });

  it("is told apart from a real one", async () => {
    const real = await send("GET", `/api/audit?cursor=${cursorOf("2024-02-29T23:59:59.999999Z")}`);
    expect(real.status).toBe(200);
  });
});

describe("text PostgreSQL cannot store in the audit filters", () => {
  it("is refused with 400 naming action or actor", async () => {
    for (const field of ["action", "actor"]) {
      await expectRefused(field, "GET", `/api/audit?${field}=a%00b`);
    }
  });
});

describe("a body not sent as JSON", () => {
  const bodyRoutes = [
    "/api/tasks/debug_task/execute",
    "/api/tasks/bulk-actions",
    "/api/calls",
    "/api/calls/schedule",
    "/api/calls/bulk",
  ];

  it("is answered 415 in the error format, as the OpenAPI document declares", async () => {
    const document = (await (
      await app().request("/api/openapi.json", { headers: admin })
    ).json()) as { paths: Record<string, Record<string, { responses: object }>> };
    const path = (route: string) => route.replace("debug_task", "{task_name}");
    for (const route of bodyRoutes) {
      expect(Object.keys(document.paths[path(route)]?.post?.responses ?? {}), route).toContain(
        "415",
      );
      const response = await app().request(route, {
        method: "POST",
        headers: { authorization: admin.authorization as string, "content-type": "text/plain" },
        body: "{}",
      });
      expect(response.status, route).toBe(415);
      expect(((await response.json()) as ErrorBody).error.code).toBe("unsupported_media_type");
    }
  });
});
