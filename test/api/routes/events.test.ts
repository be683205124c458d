import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppEnv } from "../../../src/api/context.ts";
import type { ErrorBody } from "../../../src/api/errors.ts";
import { toErrorResponse } from "../../../src/api/errors.ts";
import { EventHub } from "../../../src/api/events/eventHub.ts";
import { eventsRoutes } from "../../../src/api/routes/events.ts";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { EVENTS_CHANNEL } from "../../../src/engine/ledger/executionEvents.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { testDb } from "../../support/database.ts";
import { db, silentLogger, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";

/** Slow enough that its start and its end are published in separate ledger batches. */
const call = defineTask({
  name: "events_call",
  lane: "realtime",
  payload: z.object({ n: z.number() }),
  run: async () => {
    await sleep(150);
    return null;
  },
});

const other = defineTask({
  name: "events_other",
  lane: "realtime",
  payload: z.object({}),
  run: async () => null,
});

interface StreamEvent {
  event: string;
  data: { id: string; task: string; status: string; retrying?: boolean };
}

/** An open SSE connection: collects events and comments until `close`. */
interface EventStream {
  events: StreamEvent[];
  comments: string[];
  next(match: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): Promise<void>;
}

let hub: EventHub;
let server: ServerType;
let baseUrl: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  hub = new EventHub({ logger: silentLogger, reconnectDelayMs: 50 });
  await hub.start(testDb().pool);
  const app = new Hono<AppEnv>()
    .route("/", eventsRoutes({ pool: testDb().pool, hub, heartbeatIntervalMs: 100 }))
    .onError(toErrorResponse);
  server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(streams.splice(0).map((stream) => stream.close()));
});

afterAll(async () => {
  await hub.stop();
  await new Promise((resolve) => {
    server.close(resolve);
    // fetch keeps idle connections alive, which would hold the close open.
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
});

async function openStream(query = ""): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/events${query}`, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  const comments: string[] = [];
  let buffer = "";
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n");
          const event = lines.find((line) => line.startsWith("event: "))?.slice(7);
          const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
          if (event) events.push({ event, data: JSON.parse(data.join("\n")) });
          comments.push(...lines.filter((line) => line.startsWith(":")));
          if (comments.includes(": connected")) connected();
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  await ready;
  const stream: EventStream = {
    events,
    comments,
    next: (match, timeoutMs = 10_000) => waitFor(async () => events.find(match), timeoutMs),
    close: async () => {
      controller.abort();
      await reading;
    },
  };
  streams.push(stream);
  return stream;
}

describe("GET /api/events", () => {
  it("streams started and succeeded events of a running job", async () => {
    const stream = await openStream();
    await startTestWorker([call]);
    const id = await enqueue(db(), call, { n: 1 });
    const started = await stream.next((e) => e.data.id === id && e.event === "started");
    expect(started.data).toMatchObject({ task: "events_call", status: "running" });
    const succeeded = await stream.next((e) => e.data.id === id && e.event === "succeeded");
    expect(succeeded.data.status).toBe("succeeded");
    const kinds = stream.events.filter((e) => e.data.id === id).map((e) => e.event);
    expect(kinds.indexOf("started")).toBeLessThan(kinds.indexOf("succeeded"));
  });

  it("yields only one execution's events when filtered by execution", async () => {
    const wanted = await enqueue(db(), call, { n: 2 });
    const unwanted = await enqueue(db(), call, { n: 3 });
    const filtered = await openStream(`?execution=${wanted}`);
    const everything = await openStream();
    await startTestWorker([call]);
    await filtered.next((e) => e.event === "succeeded");
    // Once the unfiltered stream has seen the other execution end, the filtered one would have too.
    await everything.next((e) => e.data.id === unwanted && e.event === "succeeded");
    await waitForStatus(unwanted, "succeeded");
    await sleep(50);
    expect(filtered.events.length).toBeGreaterThan(0);
    expect(filtered.events.every((e) => e.data.id === wanted)).toBe(true);
  });

  it("filters by task", async () => {
    const stream = await openStream("?task=events_other");
    await startTestWorker([call, other]);
    const skipped = await enqueue(db(), call, { n: 4 });
    const wanted = await enqueue(db(), other, {});
    await stream.next((e) => e.data.id === wanted && e.event === "succeeded");
    await waitForStatus(skipped, "succeeded");
    await sleep(50);
    expect(stream.events.every((e) => e.data.task === "events_other")).toBe(true);
  });

  it("maps ledger statuses to event kinds", async () => {
    const stream = await openStream();
    const publish = (status: string, progress: number | null) =>
      sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify([
        {
          id: `x-${status}-${progress}`,
          task: "t",
          lane: "realtime",
          status,
          progress,
          message: null,
        },
      ])})`.execute(db());
    const cases: [string, number | null, string, boolean?][] = [
      ["queued", null, "enqueued"],
      ["running", 0, "started"],
      ["running", 40, "progress"],
      ["retrying", null, "failed", true],
      ["dead", null, "failed", false],
      ["cancelled", null, "cancelled"],
      ["expired", null, "cancelled"],
    ];
    for (const [status, progress] of cases) await publish(status, progress);
    for (const [status, progress, kind, retrying] of cases) {
      const event = await stream.next((e) => e.data.id === `x-${status}-${progress}`);
      expect(event.event, status).toBe(kind);
      expect(event.data.retrying).toBe(retrying);
    }
  });

  it("sends heartbeat comments", async () => {
    const stream = await openStream();
    await waitFor(async () => stream.comments.includes(": heartbeat"), 2_000);
  });

  it("refuses a malformed execution id with a 400 naming the field", async () => {
    const response = await fetch(`${baseUrl}/api/events?execution=not-a-uuid`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.path)).toEqual(["execution"]);
  });

  it("removes the subscriber when the client disconnects", async () => {
    const stream = await openStream();
    expect(hub.subscriberCount).toBe(1);
    await stream.close();
    await waitFor(async () => hub.subscriberCount === 0, 5_000);
  });

  it("listens again after losing its connection", async () => {
    const stream = await openStream();
    // The hub's connection: its last statement is the LISTEN on its last channel.
    const listener = async () => {
      const { rows } = await sql<{ pid: number }>`
        select pid from pg_stat_activity
        where datname = current_database() and query like 'listen %'`.execute(db());
      return rows[0]?.pid;
    };
    const before = await listener();
    expect(before).toBeDefined();
    await sql`select pg_terminate_backend(${before}::int)`.execute(db());
    await waitFor(async () => hub.listening && (await listener()) !== before, 5_000);
    await startTestWorker([call]);
    const id = await enqueue(db(), call, { n: 5 });
    await stream.next((e) => e.data.id === id && e.event === "succeeded");
  });
});
