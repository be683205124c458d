import { describe, expect, it } from "vitest";
import { campaignLeaseKey } from "../../src/calls/campaignSlots.ts";
import { campaignGetByPublicId, campaignProgress } from "../../src/calls/campaigns.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { leaseCount } from "../../src/engine/limits/concurrencyLease.ts";
import queueBulkCalls from "../../tasks/queue_bulk_calls.ts";
import { callTasks, refusedCallbacks, startCallTasksCenter } from "../support/calls.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";

/** 50 numbers; suffixes 0001/0002/0003 end busy / no-answer / failed in the simulator. */
function campaignNumbers(): string[] {
  return Array.from({ length: 50 }, (_, index) => {
    const suffix = ["0001", "0002", "0003"][(index % 10) - 1] ?? String(1000 + index);
    return `+1555${100 + index}${suffix}`;
  });
}

describe("a campaign", () => {
  it("dials 50 calls at 5 calls/s and 3 at once, all to a final status", async () => {
    const center = await startCallTasksCenter({ timing: { talkMs: 300 }, callsPerSecond: 5 });
    await startTestWorker(callTasks, { services: center.services });
    const numbers = campaignNumbers();
    const started = Date.now();
    const taskId = await enqueue(db(), queueBulkCalls, {
      phone_numbers: numbers,
      max_concurrent_calls: 3,
      campaign_name: "survey",
      call_metadata: { call_type: "survey" },
    });
    const bulk = await waitForStatus(taskId, "succeeded");
    const { campaign_id } = bulk.result as { campaign_id: string };

    const campaign = await waitFor(async () => {
      const row = await campaignGetByPublicId(db(), campaign_id);
      return row?.status === "completed" ? row : undefined;
    }, 50_000).catch(async (error) => {
      // Say what is stuck: calls short of a final status and unfinished executions.
      const open = await db()
        .selectFrom("calls")
        .select(["sid", "status", "dial_attempts"])
        .where("status", "not in", ["completed", "busy", "no-answer", "failed", "canceled"])
        .execute();
      const pending = await db()
        .selectFrom("executions")
        .select(["task_name", "status", "attempts", "error_message"])
        .where("status", "!=", "succeeded")
        .execute();
      throw new Error(
        `${(error as Error).message}; open calls ${JSON.stringify(open)}; unfinished executions ${JSON.stringify(pending)}`,
      );
    });
    const seconds = (Date.now() - started) / 1000;
    const stats = center.simulator.stats();
    process.stdout.write(
      `campaign of 50: ${seconds.toFixed(1)} s, max created in 1 s ${stats.maxCallsCreatedPerSecond}, max concurrent ${stats.maxConcurrentCalls}, max in progress ${stats.maxInProgress}\n`,
    );

    // The simulator's own view: paced and capped.
    expect(stats.callsCreated).toBe(50);
    // Dials are paced at 5 per 1.1 s. A request held up in transit longer than that 0.1 s
    // margin can bring a sixth arrival into one second (as it can at Twilio, which holds such a
    // call back), so one is allowed here; over the whole campaign the pace cannot be beaten.
    expect(stats.maxCallsCreatedPerSecond).toBeLessThanOrEqual(6);
    const createdAt = center.simulator
      .eventLog()
      .calls.map((call) => call.createdAt)
      .sort((a, b) => a - b);
    expect((createdAt.at(-1) as number) - (createdAt[0] as number)).toBeGreaterThanOrEqual(
      (49 / 5) * 1000,
    );
    expect(stats.maxConcurrentCalls).toBeLessThanOrEqual(3);
    expect(stats.maxConcurrentCalls).toBeGreaterThanOrEqual(2);
    // One call per number: no intent was dialed twice.
    const created = center.simulator.eventLog().calls.map((call) => call.to);
    expect(new Set(created).size).toBe(50);

    const calls = await db()
      .selectFrom("calls")
      .select(["sid", "status", "dial_attempts", "to_number", "from_number"])
      .where("campaign_id", "=", campaign.id)
      .execute();
    expect(calls).toHaveLength(50);
    expect(calls.every((call) => call.sid?.startsWith("CA"))).toBe(true);
    expect(calls.every((call) => call.dial_attempts === 1)).toBe(true);
    expect(calls.every((call) => call.from_number === center.services.twilio.phoneNumber)).toBe(
      true,
    );
    const byStatus: Record<string, number> = {};
    for (const call of calls) byStatus[call.status] = (byStatus[call.status] ?? 0) + 1;
    expect(byStatus).toEqual({ completed: 35, busy: 5, "no-answer": 5, failed: 5 });

    expect(await campaignProgress(db(), campaign)).toEqual({
      total: 50,
      queued: 0,
      dialed: 50,
      in_progress: 0,
      completed: 35,
      failed: 15,
    });
    expect(campaign.finished_at).not.toBeNull();
    // Every slot was given back.
    expect(await leaseCount(db(), campaignLeaseKey(campaign.id))).toBe(0);
    expect(refusedCallbacks(center)).toEqual([]);
  }, 60_000);
});
