/**
 * `GET /api/tasks/status/{id}/?wait=N` over real HTTP with a real worker: it answers as soon as
 * the execution ends (the ending comes by LISTEN/NOTIFY), or when the wait is up.
 */
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../../../src/api/app.ts";
import { EventHub } from "../../../src/api/events/eventHub.ts";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { authHeaders } from "../../support/app.ts";
import { testDb } from "../../support/database.ts";
import {
  db,
  emptyQueue,
  silentLogger,
  startTestWorker,
  waitFor,
  waitForStatus,
} from "../../support/engine.ts";

const nap = defineTask({
  name: "status_wait_nap",
  lane: "realtime",
  payload: z.object({ ms: z.number() }),
  run: async ({ ms }) => {
    await sleep(ms);
    return { slept: ms };
  },
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let hub: EventHub;
let server: ServerType;
let baseUrl: string;
let read: Record<string, string>;

beforeAll(async () => {
  hub = new EventHub({ logger: silentLogger });
  const app = createApp({
    pool: testDb().pool,
    logger: silentLogger,
    registry: new TaskRegistry([nap]),
    hub,
  });
  server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  read = await authHeaders("read");
});

afterAll(async () => {
  await hub.stop();
  await new Promise((resolve) => {
    server.close(resolve);
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
});

beforeEach(emptyQueue);

async function status(id: string, query = "", signal?: AbortSignal) {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/tasks/status/${id}/${query}`, {
    headers: read,
    signal,
  });
  return {
    status: response.status,
    body: (await response.json()) as Json,
    elapsedMs: performance.now() - started,
  };
}

describe("GET /api/tasks/status/{id}/?wait=", () => {
  it("answers as soon as the execution ends", async () => {
    await startTestWorker([nap]);
    const id = await enqueue(db(), nap, { ms: 600 });
    const answer = await status(id, "?wait=30");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ task_id: id, status: "succeeded", result: { slept: 600 } });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(550);
    // Well before the 5 s re-read of the ledger: the ending came as an event.
    expect(answer.elapsedMs).toBeLessThan(3_000);
  });

  it("answers at once for an execution that has already ended", async () => {
    await startTestWorker([nap]);
    const id = await enqueue(db(), nap, { ms: 0 });
    await waitForStatus(id, "succeeded");
    const answer = await status(id, "?wait=30");
    expect(answer.body.status).toBe("succeeded");
    expect(answer.elapsedMs).toBeLessThan(1_000);
  });

  it("answers as usual, still waiting, when the wait is up", async () => {
    const id = await enqueue(db(), nap, { ms: 0 }, { delayMs: 60_000 });
    const answer = await status(id, "?wait=1.2");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ task_id: id, status: "scheduled", result: null });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(1_150);
    expect(answer.elapsedMs).toBeLessThan(2_500);
    const plain = await status(id);
    expect(plain.body.status).toBe("scheduled");
    expect(plain.elapsedMs).toBeLessThan(1_000);
  });

  it("refuses a bad wait naming it, and answers 404 for an unknown id at once", async () => {
    const id = await enqueue(db(), nap, { ms: 0 }, { delayMs: 60_000 });
    for (const wait of ["abc", "-1", "61", "1e1", ""]) {
      const answer = await status(id, `?wait=${wait}`);
      expect(answer.status, wait).toBe(400);
      expect(answer.body.error.details.map((d: Json) => d.path)).toEqual(["wait"]);
    }
    const unknown = await status("0193d2c4-0000-7000-8000-000000000000", "?wait=30");
    expect(unknown.status).toBe(404);
    expect(unknown.elapsedMs).toBeLessThan(1_000);
  });

  it("stops waiting when the client goes away", async () => {
    const id = await enqueue(db(), nap, { ms: 0 }, { delayMs: 60_000 });
    const before = hub.subscriberCount;
    const client = new AbortController();
    const answer = status(id, "?wait=60", client.signal).catch((error: Error) => error);
    await waitFor(async () => hub.subscriberCount === before + 1);
    client.abort();
    expect(await answer).toBeInstanceOf(Error);
    await waitFor(async () => hub.subscriberCount === before, 2_000);
  });
});
