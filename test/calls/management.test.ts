import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { campaignLeaseKey } from "../../src/calls/campaignSlots.ts";
import { attachSid } from "../../src/calls/placedCalls.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import type { EnqueueError } from "../../src/engine/errors.ts";
import { acquireLease, leaseCount } from "../../src/engine/limits/concurrencyLease.ts";
import cleanupStaleCalls from "../../tasks/cleanup_stale_calls.ts";
import getCallStatus from "../../tasks/get_call_status.ts";
import queueBulkCalls from "../../tasks/queue_bulk_calls.ts";
import queueOutboundCall from "../../tasks/queue_outbound_call.ts";
import retryFailedCall from "../../tasks/retry_failed_call.ts";
import scheduleCall from "../../tasks/schedule_call.ts";
import {
  type CallCenter,
  callRow,
  callTasks,
  startCallTasksCenter,
  waitForFinalCall,
} from "../support/calls.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";

let center: CallCenter;
beforeAll(async () => {
  center = await startCallTasksCenter({ timing: { talkMs: 1_500 } });
});

/** A call placed on the simulator directly, sending no callbacks, so only REST reads see it. */
async function simulatorCall(to: string) {
  return center.services.twilio.client.calls.create({
    to,
    from: center.services.twilio.phoneNumber,
    twiml: "<Response/>",
  });
}

async function insertCall(values: {
  sid?: string | null;
  to?: string;
  status?: string;
  rank?: number;
  ageHours?: number;
  campaignId?: number;
}) {
  return db()
    .insertInto("calls")
    .values({
      sid: values.sid ?? null,
      intent_key: `test:${Math.random()}`,
      direction: "outbound-api",
      from_number: "+15005550006",
      to_number: values.to ?? "+15556000000",
      status: values.status ?? "queued",
      status_rank: values.rank ?? 0,
      campaign_id: values.campaignId ?? null,
      created_at: new Date(Date.now() - (values.ageHours ?? 0) * 3_600_000),
    })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
}

describe("call management tasks", () => {
  it("get_call_status returns call_info and moves the row forward only", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const placed = await simulatorCall("+15556001000");
    await waitFor(async () => center.simulator.call(placed.sid)?.status === "in-progress");
    const row = await insertCall({ sid: placed.sid, to: "+15556001000" });

    const first = await waitForStatus(
      await enqueue(db(), getCallStatus, { call_sid: placed.sid }),
      "succeeded",
    );
    expect(first.result).toMatchObject({
      call_info: { sid: placed.sid, status: "in-progress", to: "+15556001000" },
      recorded_status: "in-progress",
    });
    expect((await callRow(row.public_id)).answered_at).not.toBeNull();

    // Our row already knows more (a final callback): Twilio's older view does not undo it.
    await db()
      .updateTable("calls")
      .set({ status: "completed", status_rank: 4 })
      .where("id", "=", row.id)
      .execute();
    const second = await waitForStatus(
      await enqueue(db(), getCallStatus, { call_sid: placed.sid }),
      "succeeded",
    );
    expect(second.result).toMatchObject({
      call_info: { status: "in-progress" },
      recorded_status: "completed",
    });

    const unknown = await waitForStatus(
      await enqueue(db(), getCallStatus, { call_sid: `CA${"f".repeat(32)}` }),
      "dead",
    );
    expect(unknown).toMatchObject({ attempts: 1, error_class: "PermanentError" });
  });

  it("retry_failed_call makes a new intent for a busy call, and refuses a completed one", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const dialId = await enqueue(db(), queueOutboundCall, {
      to_number: "+15556020001",
      call_metadata: { customer_id: "c-1" },
    });
    const dialed = await waitForStatus(dialId, "succeeded");
    const original = (dialed.result as { call_id: string }).call_id;
    expect((await waitForFinalCall(original)).status).toBe("busy");

    const retry = await waitForStatus(
      await enqueue(db(), retryFailedCall, { original_task_id: dialId, retry_delay: 0 }),
      "succeeded",
    );
    const again = retry.result as { task_id: string; call_id: string; retry_of: string };
    expect(again.retry_of).toBe(original);
    expect(again.call_id).not.toBe(original);
    await waitForStatus(again.task_id, "succeeded");
    const retried = await waitForFinalCall(again.call_id);
    expect(retried).toMatchObject({
      to_number: "+15556020001",
      status: "busy",
      metadata: { customer_id: "c-1", retry_of: original },
    });

    // By number alone: the latest call to it (the retry, busy again) is retried.
    const byNumber = await waitForStatus(
      await enqueue(db(), retryFailedCall, { to_number: "+15556020001", retry_delay: 3600 }),
      "succeeded",
    );
    expect(byNumber.result).toMatchObject({ retry_of: again.call_id });

    const completedId = await enqueue(db(), queueOutboundCall, { to_number: "+15556002100" });
    const completed = (
      (await waitForStatus(completedId, "succeeded")).result as {
        call_id: string;
      }
    ).call_id;
    await waitFor(async () => (await callRow(completed)).status === "in-progress");
    const refused = await waitForStatus(
      await enqueue(db(), retryFailedCall, { call_id: completed }),
      "dead",
    );
    expect(refused.error_class).toBe("PermanentError");
    expect(refused.error_message).toMatch(/^call_id: call .* is in-progress; only busy/);
  });

  it("cleanup_stale_calls settles old non-final calls and reports counts", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const ended = await simulatorCall("+15556030001");
    await waitFor(async () => center.simulator.call(ended.sid)?.status === "busy");
    const campaign = await db()
      .insertInto("campaigns")
      .values({ from_number: "+15005550006", max_concurrent_calls: 1, total_calls: 1 })
      .returning("id")
      .executeTakeFirstOrThrow();
    const neverDialed = await insertCall({ ageHours: 30, campaignId: campaign.id });
    await acquireLease(db(), campaignLeaseKey(campaign.id), `call:${neverDialed.id}`, {
      max: 1,
      ttlMs: 60_000,
    });
    const stuck = await insertCall({
      sid: ended.sid,
      status: "ringing",
      rank: 2,
      ageHours: 30,
    });
    const vanished = await insertCall({
      sid: `CA${"e".repeat(32)}`,
      status: "in-progress",
      rank: 3,
      ageHours: 30,
    });
    const recent = await insertCall({ ageHours: 1 });

    const run = await waitForStatus(
      await enqueue(db(), cleanupStaleCalls, { max_age_hours: 24 }),
      "succeeded",
    );
    expect(run.result).toEqual({
      checked: 3,
      refreshed: 1,
      still_active: 0,
      marked_failed: 2,
      errors: 0,
    });
    expect(await callRow(neverDialed.public_id)).toMatchObject({
      status: "failed",
      error_message: "not dialed within 24 h of being due",
    });
    expect(await leaseCount(db(), campaignLeaseKey(campaign.id))).toBe(0);
    expect(await callRow(stuck.public_id)).toMatchObject({ status: "busy" });
    expect((await callRow(vanished.public_id)).error_message).toMatch(/Twilio has no call/);
    expect((await callRow(recent.public_id)).status).toBe("queued");
  });

  it("schedule_call enqueues the dial for schedule_time; queue_outbound_call honours delay_seconds", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const at = new Date(Date.now() + 1_000).toISOString();
    const scheduled = await waitForStatus(
      await enqueue(db(), scheduleCall, { to_number: "+15556004000", schedule_time: at }),
      "succeeded",
    );
    const { task_id, call_id } = scheduled.result as { task_id: string; call_id: string };
    expect((await callRow(call_id)).scheduled_for?.toISOString()).toBe(at);
    const dial = await waitForStatus(task_id, "succeeded");
    expect(dial.started_at?.getTime()).toBeGreaterThanOrEqual(Date.parse(at) - 50);

    // An intent the task writes itself waits delay_seconds from its first run.
    const delayedId = await enqueue(db(), queueOutboundCall, {
      to_number: "+15556004001",
      delay_seconds: 1,
    });
    const delayed = await waitForStatus(delayedId, "succeeded");
    const row = await callRow((delayed.result as { call_id: string }).call_id);
    expect(row.intent_key).toBe(`execution:${delayedId}`);
    expect(row.dialed_at?.getTime()).toBeGreaterThanOrEqual(
      (row.scheduled_for?.getTime() ?? Number.POSITIVE_INFINITY) - 50,
    );
    expect(delayed.attempts).toBe(1);
  });

  it("refuses bad payloads at enqueue, naming the field", async () => {
    const refusal = async (work: Promise<unknown>) =>
      work.then(
        () => {
          throw new Error("expected a refusal");
        },
        (error: EnqueueError) => error.issues.map((issue) => issue.path),
      );
    expect(await refusal(enqueue(db(), queueOutboundCall, { to_number: "+0155" }))).toEqual([
      "payload.to_number",
    ]);
    expect(await refusal(enqueue(db(), queueOutboundCall, {}))).toEqual(["payload.to_number"]);
    expect(
      await refusal(
        enqueue(db(), queueBulkCalls, { phone_numbers: ["+15556005000", "+15556005001", "x"] }),
      ),
    ).toEqual(["payload.phone_numbers.2"]);
    expect(
      await refusal(
        enqueue(db(), scheduleCall, {
          to_number: "+15556005000",
          schedule_time: "2001-01-01T00:00:00Z",
        }),
      ),
    ).toEqual(["payload.schedule_time"]);
    expect(await refusal(enqueue(db(), retryFailedCall, { retry_delay: 5 }))).toEqual([
      "payload.original_task_id",
    ]);
  });

  it("a sid learned after its callbacks folds their row into the intent", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const campaign = await db()
      .insertInto("campaigns")
      .values({ from_number: "+15005550006", max_concurrent_calls: 1, total_calls: 1 })
      .returning("id")
      .executeTakeFirstOrThrow();
    const intent = await insertCall({ to: "+15556006000", campaignId: campaign.id });
    await acquireLease(db(), campaignLeaseKey(campaign.id), `call:${intent.id}`, {
      max: 1,
      ttlMs: 60_000,
    });
    // The callbacks arrive (and make a row of their own) before the dialer records the sid.
    const placed = await center.services.twilio.client.calls.create({
      to: "+15556006000",
      from: "+15005550006",
      twiml: "<Response/>",
      statusCallback: `${center.base}/webhooks/twilio/call-status`,
      statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
    });
    await waitFor(async () => {
      const orphan = await db()
        .selectFrom("calls")
        .select("status")
        .where("sid", "=", placed.sid)
        .executeTakeFirst();
      return orphan?.status === "completed";
    });

    expect(await attachSid(db(), intent.id, placed)).toBe("completed");
    const row = await callRow(intent.public_id);
    expect(row).toMatchObject({ sid: placed.sid, status: "completed", status_rank: 4 });
    const events = await db()
      .selectFrom("call_events")
      .select(["call_id", "status"])
      .where("call_sid", "=", placed.sid)
      .execute();
    expect(events).toHaveLength(4);
    expect(events.every((event) => event.call_id === intent.id)).toBe(true);
    const { rows } = await sql<{ n: number; status: string }>`
      select (select count(*)::int from calls where sid = ${placed.sid}) as n,
             (select status from campaigns where id = ${campaign.id}) as status`.execute(db());
    expect(rows[0]).toEqual({ n: 1, status: "completed" });
    expect(await leaseCount(db(), campaignLeaseKey(campaign.id))).toBe(0);
  });
});
