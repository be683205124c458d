import { describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueueMany } from "../../../src/engine/enqueue.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { startChildWorker } from "../../support/childWorker.ts";
import { db, startTestWorker, waitFor } from "../../support/engine.ts";
import { ratedPing } from "../../support/fixtures/processTasks.ts";

async function allSucceeded(ids: string[], timeoutMs: number) {
  await waitFor(async () => {
    const done = await db()
      .selectFrom("executions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("public_id", "in", ids)
      .where("status", "=", "succeeded")
      .executeTakeFirstOrThrow();
    return Number(done.n) === ids.length;
  }, timeoutMs);
  return db()
    .selectFrom("executions")
    .select(["result", "attempts"])
    .where("public_id", "in", ids)
    .execute();
}

describe("shared limits", () => {
  it("holds a rate limit of 5/s across two worker processes", async () => {
    await Promise.all([startChildWorker(), startChildWorker()]);
    const total = 25;
    const ids = await enqueueMany(
      db(),
      Array.from({ length: total }, (_, n) => ({ task: ratedPing, payload: { n } })),
    );
    const rows = await allSucceeded(ids, 30_000);
    const starts = rows
      .map((row) => (row.result as { startedAt: number }).startedAt)
      .sort((a, b) => a - b);
    const pids = new Set(rows.map((row) => (row.result as { pid: number }).pid));
    // The bucket starts full (5), then refills at 5 a second.
    const busiestSecond = Math.max(
      ...starts.map((start) => starts.filter((t) => t >= start && t < start + 1_000).length),
    );
    const steadyRate = (total - 5) / (((starts.at(-1) as number) - (starts[0] as number)) / 1_000);
    process.stdout.write(
      `rate limit 5/s over ${pids.size} processes: busiest second ${busiestSecond}, steady ${steadyRate.toFixed(2)}/s\n`,
    );
    expect(pids.size).toBe(2);
    expect(busiestSecond).toBeLessThanOrEqual(10);
    expect(steadyRate).toBeLessThanOrEqual(5.5);
    expect(steadyRate).toBeGreaterThan(3);
    // Waiting for a token spends no attempt.
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
  }, 45_000);

  it("runs at most N jobs of a lease key at once", async () => {
    let running = 0;
    let most = 0;
    const leased = defineTask({
      name: "leased_work",
      lane: "webhooks",
      payload: z.object({ campaign: z.string() }),
      concurrency: { key: ({ campaign }) => `campaign:${campaign}`, max: 2 },
      run: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running--;
      },
    });
    await startTestWorker([leased], { lanes: { webhooks: { concurrency: 6 } } });
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 12 }, () => ({ task: leased, payload: { campaign: "spring" } })),
    );
    const rows = await allSucceeded(ids, 30_000);
    expect(most).toBe(2);
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
    const leases = await db()
      .selectFrom("concurrency_leases" as never)
      .selectAll()
      .execute();
    expect(leases).toEqual([]);
  }, 45_000);
});
