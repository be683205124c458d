/**
 * The Celery-style calls of the execute route, over real HTTP with a real worker: countdown,
 * expires, and positional args.
 */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../../../src/api/app.ts";
import { EventHub } from "../../../src/api/events/eventHub.ts";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { EnqueueError } from "../../../src/engine/errors.ts";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { tasks } from "../../../tasks/index.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { testDb } from "../../support/database.ts";
import {
  db,
  emptyQueue,
  execution,
  silentLogger,
  startTestWorker,
  waitForStatus,
} from "../../support/engine.ts";

const add = defineTask({
  name: "celery_add",
  lane: "realtime",
  payload: z.object({ x: z.number(), y: z.number(), label: z.string().default("sum") }).strict(),
  positionalArgs: ["x", "y", "label"],
  run: async ({ x, y, label }) => ({ [label]: x + y }),
});

const ping = defineTask({
  name: "celery_ping",
  lane: "realtime",
  payload: z.object({}).strict(),
  run: async () => "pong",
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let hub: EventHub;
let server: ServerType;
let baseUrl: string;
let operate: Record<string, string>;

beforeAll(async () => {
  hub = new EventHub({ logger: silentLogger });
  const app = createApp({
    pool: testDb().pool,
    logger: silentLogger,
    registry: new TaskRegistry([add, ping]),
    hub,
  });
  server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  operate = await authHeaders("operate", "read");
});

afterAll(async () => {
  await hub.stop();
  await new Promise((resolve) => {
    server.close(resolve);
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
});

beforeEach(emptyQueue);

async function execute(task: string, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${baseUrl}/api/tasks/${task}/execute/`, {
    method: "POST",
    headers: operate,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const paths = (body: Json): string[] => body.error.details.map((d: Json) => d.path);
const executionCount = async () =>
  (await db().selectFrom("executions").select("id").execute()).length;

describe("options.countdown", () => {
  it("holds the job back that many seconds", async () => {
    await startTestWorker([add, ping]);
    const { status, body } = await execute("celery_add", {
      kwargs: { x: 1, y: 2 },
      options: { countdown: 1.5 },
    });
    expect(status).toBe(202);
    const enqueued = await execution(body.task_id);
    expect(enqueued.status).toBe("scheduled");
    expect(enqueued.run_at.getTime() - enqueued.created_at.getTime()).toBeCloseTo(1500, -1);
    const done = await waitForStatus(body.task_id, "succeeded");
    expect(done.started_at?.getTime()).toBeGreaterThanOrEqual(enqueued.created_at.getTime() + 1500);
    expect(done.result).toEqual({ sum: 3 });
  });

  it("refuses countdown beside run_at or delay_seconds, and bad values, naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ countdown: 5, delay_seconds: 5 }, "options.delay_seconds"],
      [{ countdown: 5, run_at: "2099-01-01T00:00:00Z" }, "options.run_at"],
      [{ countdown: -1 }, "options.countdown"],
      [{ countdown: "60" }, "options.countdown"],
    ];
    for (const [options, path] of cases) {
      const { status, body } = await execute("celery_ping", { kwargs: {}, options });
      expect(status, JSON.stringify(options)).toBe(400);
      expect(paths(body)).toContain(path);
    }
    expect(await executionCount()).toBe(0);
  });
});

describe("options.expires", () => {
  it("ends a job that could not start in time expired, without running it", async () => {
    const inSeconds = await execute("celery_ping", { kwargs: {}, options: { expires: 0.5 } });
    const atTime = await execute("celery_ping", {
      kwargs: {},
      options: { expires: new Date(Date.now() + 500).toISOString().replace("Z", "+00:00") },
    });
    const keyed = await execute("celery_ping", {
      kwargs: {},
      options: { expires: 0.5, job_key: "celery-expiring" },
    });
    const unhurried = await execute("celery_ping", { kwargs: {}, options: { expires: 3600 } });
    for (const response of [inSeconds, atTime, keyed, unhurried]) expect(response.status).toBe(202);
    const set = await execution(inSeconds.body.task_id);
    expect(Number(set.expires_at) - Number(set.created_at)).toBeCloseTo(500, -1);

    // No worker until the deadlines have passed.
    await new Promise((resolve) => setTimeout(resolve, 800));
    await startTestWorker([ping]);
    for (const id of [inSeconds.body.task_id, atTime.body.task_id, keyed.body.task_id]) {
      const ended = await waitForStatus(id, "expired");
      expect(ended.finished_at).not.toBeNull();
      expect(ended.result).toBeNull();
      const attempts = await db()
        .selectFrom("execution_attempts")
        .select("outcome")
        .where("execution_id", "=", ended.id)
        .execute();
      expect(attempts).toEqual([]);
    }
    expect((await waitForStatus(unhurried.body.task_id, "succeeded")).result).toBe("pong");
  });

  it("refuses an expiry before the run time, with expires_at, or malformed", async () => {
    const cases: [unknown, string][] = [
      [{ countdown: 60, expires: 30 }, "options.expires"],
      [{ run_at: "2099-01-01T00:00:00Z", expires: "2098-12-31T23:00:00Z" }, "options.expires"],
      [{ expires: "2020-01-01T00:00:00Z" }, "options.expires"],
      [{ expires: "2099-01-01T00:00:00" }, "options.expires"],
      [{ expires: "tomorrow" }, "options.expires"],
      [{ expires: 0 }, "options.expires"],
      [{ expires: 60, expires_at: "2099-01-01T00:00:00Z" }, "options.expires"],
      [
        { delay_seconds: 120, expires_at: new Date(Date.now() + 60_000).toISOString() },
        "options.expires_at",
      ],
    ];
    for (const [options, path] of cases) {
      const { status, body } = await execute("celery_ping", { kwargs: {}, options });
      expect(status, JSON.stringify(options)).toBe(400);
      expect(paths(body), JSON.stringify(options)).toEqual([path]);
    }
    expect(await executionCount()).toBe(0);
  });
  it("is checked by enqueue itself, against a relative run time", async () => {
    const refused = enqueue(db(), ping, {}, { delayMs: 60_000, expiresInMs: 1_000 });
    await expect(refused).rejects.toBeInstanceOf(EnqueueError);
    await expect(refused).rejects.toMatchObject({
      issues: [{ path: "options.expiresInMs", message: "the job would expire before it runs" }],
    });
    expect(await executionCount()).toBe(0);
  });
});

describe("args", () => {
  it("fills the task's positional fields in order, beside kwargs", async () => {
    await startTestWorker([add]);
    const positional = await execute("celery_add", { args: [2, 3] });
    const mixed = await execute("celery_add", { args: [4], kwargs: { y: 5, label: "total" } });
    const all = await execute("celery_add", { args: [1, 1, "two"] });
    expect((await waitForStatus(positional.body.task_id, "succeeded")).result).toEqual({ sum: 5 });
    expect((await waitForStatus(mixed.body.task_id, "succeeded")).result).toEqual({ total: 9 });
    expect((await waitForStatus(all.body.task_id, "succeeded")).result).toEqual({ two: 2 });
    expect((await execution(mixed.body.task_id)).payload).toEqual({ x: 4, y: 5, label: "total" });
  });

  it("refuses too many args, a field given twice, and args for a task without an order", async () => {
    const tooMany = await execute("celery_add", { args: [1, 2, "x", 4] });
    expect(tooMany.status).toBe(400);
    expect(paths(tooMany.body)).toEqual(["args"]);
    expect(tooMany.body.error.details[0].message).toContain(
      "at most 3 positional args (x, y, label)",
    );

    const twice = await execute("celery_add", { args: [1, 2], kwargs: { y: 3 } });
    expect(twice.status).toBe(400);
    expect(paths(twice.body)).toEqual(["kwargs.y"]);
    const twiceInPayload = await execute("celery_add", { args: [1], payload: { x: 3, y: 1 } });
    expect(paths(twiceInPayload.body)).toEqual(["payload.x"]);

    const noOrder = await execute("celery_ping", { args: [1] });
    expect(noOrder.status).toBe(400);
    expect(paths(noOrder.body)).toEqual(["args"]);
    expect(noOrder.body.error.details[0].message).toContain("takes no positional args");

    const wrongType = await execute("celery_add", { args: ["one", 2] });
    expect(wrongType.status).toBe(400);
    expect(paths(wrongType.body)).toEqual(["payload.x"]);
    expect(await executionCount()).toBe(0);
  });

  it("maps the positional args seed 000's tasks are called with", async () => {
    const app = testApp(testDb().pool, { registry: new TaskRegistry(tasks) });
    const call = async (name: string, body: unknown) => {
      const response = await app.request(`/api/tasks/${name}/execute/`, {
        method: "POST",
        headers: operate,
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(202);
      return (await execution(((await response.json()) as Json).task_id)).payload;
    };
    expect(await call("transcribe_recording", { args: [456] })).toEqual({
      recording_id: 456,
      language: "en-US",
    });
    expect(await call("process_call_recording", { args: [123] })).toEqual({ call_id: 123 });
    expect(await call("generate_monthly_report", { args: [2026, 10] })).toEqual({
      year: 2026,
      month: 10,
    });
    expect(
      await call("export_call_data", {
        args: [{ start_date: "2026-10-01T00:00:00Z", end_date: "2026-10-31T23:59:59Z" }, "csv"],
        kwargs: { user_id: 1 },
      }),
    ).toMatchObject({ format: "csv", user_id: 1 });
  });

  it("lists each task's positional args", async () => {
    const response = await fetch(`${baseUrl}/api/tasks/`, { headers: operate });
    const { tasks } = (await response.json()) as Json;
    const byName = Object.fromEntries(tasks.map((t: Json) => [t.name, t.positional_args]));
    expect(byName).toEqual({ celery_add: ["x", "y", "label"], celery_ping: null });
  });

  it("refuses a declared order that does not match the payload", () => {
    const declare = (positionalArgs: string[]) =>
      defineTask({
        name: "celery_bad_order",
        lane: "realtime",
        payload: z.object({ a: z.number(), b: z.number() }),
        positionalArgs,
        run: async () => null,
      });
    expect(() => declare(["a", "c"])).toThrow("c is not a payload field");
    expect(() => declare(["a", "a"])).toThrow("names a field twice");
    expect(() => declare([])).toThrow("at least one");
    expect(declare(["b", "a"]).positionalArgs).toEqual(["b", "a"]);
  });
});
