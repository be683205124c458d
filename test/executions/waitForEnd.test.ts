/** `executionWaitForEnd` against a real event hub: endings that publish no event, and a hub that stops. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { EventHub } from "../../src/api/events/eventHub.ts";
import { executionCancel } from "../../src/control/cancel.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { executionWaitForEnd } from "../../src/executions/waitForEnd.ts";
import { testDb } from "../support/database.ts";
import { db, emptyQueue, silentLogger } from "../support/engine.ts";

const later = defineTask({
  name: "wait_for_end_later",
  lane: "realtime",
  payload: z.object({}),
  run: async () => null,
});

let hub: EventHub;
beforeEach(async () => {
  await emptyQueue();
  hub = new EventHub({ logger: silentLogger });
  await hub.start(testDb().pool);
});
afterEach(() => hub.stop());

describe("executionWaitForEnd", () => {
  it("sees an ending that publishes no event when it reads the ledger again", async () => {
    const id = await enqueue(db(), later, {}, { delayMs: 60_000 });
    const started = performance.now();
    const waiting = executionWaitForEnd(db(), hub, id, { timeoutMs: 10_000, recheckMs: 300 });
    await executionCancel(db(), { publicId: id, actor: "test", requestId: null });
    const row = await waiting;
    expect(row?.status).toBe("cancelled");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("answers with the execution as it stands when the hub stops or the signal aborts", async () => {
    const id = await enqueue(db(), later, {}, { delayMs: 60_000 });
    const aborted = new AbortController();
    const byAbort = executionWaitForEnd(db(), hub, id, {
      timeoutMs: 30_000,
      signal: aborted.signal,
    });
    aborted.abort();
    expect((await byAbort)?.status).toBe("scheduled");
    const byStop = executionWaitForEnd(db(), hub, id, { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await hub.stop();
    expect((await byStop)?.status).toBe("scheduled");
    expect(hub.subscriberCount).toBe(0);
  });

  it("answers undefined at once for an unknown id", async () => {
    const started = performance.now();
    const row = await executionWaitForEnd(db(), hub, "0193d2c4-0000-7000-8000-000000000000", {
      timeoutMs: 30_000,
    });
    expect(row).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
