import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { campaignLeaseKey } from "../../src/calls/campaignSlots.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { leaseCount } from "../../src/engine/limits/concurrencyLease.ts";
import { closeTwilioClient, createTwilioClient } from "../../src/twilio/client.ts";
import queueOutboundCall from "../../tasks/queue_outbound_call.ts";
import {
  type CallCenter,
  callbacksApplied,
  callRow,
  callTasks,
  startCallTasksCenter,
} from "../support/calls.ts";
import { db, startTestWorker, waitForStatus } from "../support/engine.ts";

const CREATE = { method: "POST", path: "/Calls\\.json$" };
let center: CallCenter;

beforeAll(async () => {
  center = await startCallTasksCenter();
  // Six failed creates in a row would open Twilio's circuit breaker (its own test is
  // test/twilio/circuitBreaker.test.ts); here every fault must reach the dial job.
  center.services.twilio.circuitBreaker = { failureThreshold: 100 };
  // A short SDK timeout, so that a held request is a client-side timeout (the ambiguous kind).
  const client = createTwilioClient({
    accountSid: center.simulator.accountSid,
    authToken: center.simulator.authToken,
    simulatorUrl: center.simulator.url,
    timeoutMs: 800,
  });
  const original = center.services.twilio.client;
  center.services.twilio.client = client;
  closeTwilioClient(original);
  return () => closeTwilioClient(client);
});

async function dial(to: string) {
  const taskId = await enqueue(db(), queueOutboundCall, { to_number: to });
  return taskId;
}

const createdTo = (to: string) =>
  center.simulator.eventLog().calls.filter((call) => call.to === to);
/** Requests to the Calls list (create or list) since `since`. */
const callsRequests = (method: "POST" | "GET", since: number) =>
  center.simulator
    .eventLog()
    .requests.filter(
      (request) =>
        request.method === method && /Calls\.json$/.test(request.path) && request.at >= since,
    );

describe("dialing", () => {
  it("after 500s, timeouts and error_after_create: one call per intent, the row holds its sid", async () => {
    await startTestWorker(callTasks, { services: center.services });
    center.simulator.reset();
    // In the order requests arrive: two plain 500s, two requests held past the SDK's timeout
    // (the client gives up; nothing is created), and two calls created whose answer is a 500.
    center.simulator.injectFault({ kind: "500", count: 2, match: CREATE });
    center.simulator.injectFault({ kind: "timeout", count: 2, ms: 1_500, match: CREATE });
    center.simulator.injectFault({ kind: "error_after_create", count: 2, match: CREATE });
    const numbers = Array.from({ length: 6 }, (_, index) => `+1555200${1000 + index}`);
    const taskIds: string[] = [];
    for (const to of numbers) taskIds.push(await dial(to));

    const executions = await Promise.all(
      taskIds.map((id) => waitForStatus(id, ["succeeded", "dead"], 25_000)),
    );
    expect(center.simulator.pendingFaults()).toEqual([]);
    const outcomes: string[] = [];
    for (const [index, execution] of executions.entries()) {
      expect(execution.status).toBe("succeeded");
      const result = execution.result as { call_id: string; call_sid: string; outcome: string };
      outcomes.push(result.outcome);
      const to = numbers[index] as string;
      // At most ONE call created on Twilio for this intent, and it is the one on the row.
      const created = createdTo(to);
      expect(created).toHaveLength(1);
      const row = await callRow(result.call_id);
      expect(row.sid).toBe(created[0]?.sid);
      expect(row.intent_key).toBe(`execution:${taskIds[index]}`);
    }
    // Each fault cost its intent one attempt (the attempt after it reconciled, then dialed or adopted).
    const spent = executions.reduce((sum, execution) => sum + execution.attempts - 1, 0);
    expect(spent).toBe(6);
    // The two created-then-lost calls were found on Twilio and adopted, not dialed again.
    expect(outcomes.filter((outcome) => outcome === "adopted")).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome === "dialed")).toHaveLength(4);
    expect(center.simulator.stats().callsCreated).toBe(6);
    // Callbacks that came before the sid was adopted were folded into the intents: no stray rows,
    // and every call reached its final status.
    await callbacksApplied();
    const rows = await db().selectFrom("calls").select(["intent_key", "status"]).execute();
    expect(rows.filter((row) => row.intent_key === null)).toEqual([]);
    expect(rows.map((row) => row.status)).toEqual(numbers.map(() => "completed"));
  }, 40_000);

  it("429 then success: dialed once, after Retry-After, without spending an attempt", async () => {
    await startTestWorker(callTasks, { services: center.services });
    center.simulator.reset();
    const since = Date.now();
    // Retry-After 2 s, not the 1 s assumed when the header cannot be read.
    center.simulator.injectFault({ kind: "429", retryAfterSeconds: 2, match: CREATE });
    const to = "+15552009000";
    const taskId = await dial(to);
    const execution = await waitForStatus(taskId, "succeeded");
    const result = execution.result as { call_id: string; call_sid: string; outcome: string };

    expect(result.outcome).toBe("dialed");
    expect(createdTo(to)).toHaveLength(1);
    // Two create requests: the 429, then the one that placed the call, Retry-After apart.
    const [limited, placed, ...more] = callsRequests("POST", since);
    expect(more).toEqual([]);
    expect(limited?.status).toBe(429);
    expect(placed?.status).toBe(201);
    expect((placed?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1_950);
    // A 429 is "definitely not created": no reconciliation (no list request) before redialing.
    expect(callsRequests("GET", since)).toEqual([]);
    // The 429 was a snooze: the ledger counts one attempt, and history shows the wait.
    expect(execution.attempts).toBe(1);
    const history = await db()
      .selectFrom("execution_attempts")
      .select(["attempt", "outcome", "error_class"])
      .where("execution_id", "=", execution.id)
      .execute();
    expect(history).toContainEqual({ attempt: 1, outcome: "snoozed", error_class: "SnoozeError" });
    const row = await callRow(result.call_id);
    expect(row).toMatchObject({ sid: result.call_sid, dial_attempts: 2 });
    await center.simulator.whenIdle();
  });

  it("an invalid number fails for good: PermanentError, call failed with 21211, slot freed", async () => {
    await startTestWorker(callTasks, { services: center.services });
    center.simulator.reset();
    // A number only Twilio refuses: written straight into a one-call campaign, as if it had come
    // from elsewhere (the API and payloads refuse it up front).
    const campaign = await db()
      .insertInto("campaigns")
      .values({ from_number: "+15005550006", max_concurrent_calls: 1, total_calls: 1 })
      .returning(["id", "public_id"])
      .executeTakeFirstOrThrow();
    const call = await db()
      .insertInto("calls")
      .values({
        intent_key: "test:invalid-number",
        direction: "outbound-api",
        from_number: "",
        to_number: "+1555",
        campaign_id: campaign.id,
      })
      .returning(["id", "public_id"])
      .executeTakeFirstOrThrow();
    const taskId = await enqueue(db(), queueOutboundCall, {
      call_id: call.public_id,
      campaign_id: campaign.public_id,
    });
    const execution = await waitForStatus(taskId, "dead");

    expect(execution).toMatchObject({ attempts: 1, error_class: "PermanentError" });
    expect(execution.error_message).toMatch(/21211/);
    expect(await callRow(call.public_id)).toMatchObject({
      status: "failed",
      error_code: 21211,
      sid: null,
      dial_attempts: 1,
    });
    expect(await leaseCount(db(), campaignLeaseKey(campaign.id))).toBe(0);
    const { rows } = await sql<{ status: string }>`
      select status from campaigns where id = ${campaign.id}`.execute(db());
    expect(rows[0]?.status).toBe("completed");
    expect(center.simulator.stats().callsCreated).toBe(0);
  });

  it("a retried job whose intent already has a sid does not dial", async () => {
    await startTestWorker(callTasks, { services: center.services });
    center.simulator.reset();
    const first = await waitForStatus(await dial("+15552009100"), "succeeded");
    const { call_id } = first.result as { call_id: string };
    // The same intent again (as a rerun after a crash would be).
    const again = await enqueue(db(), queueOutboundCall, { call_id });
    const second = await waitForStatus(again, "succeeded");
    expect(second.result).toMatchObject({ call_id, outcome: "already_dialed" });
    expect(center.simulator.stats().callsCreated).toBe(1);
    await center.simulator.whenIdle();
  });
});
