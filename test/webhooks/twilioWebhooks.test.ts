import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import checkFailedWebhooks from "../../tasks/check_failed_webhooks.ts";
import processWebhookCallback from "../../tasks/process_webhook_callback.ts";
import retryFailedWebhook from "../../tasks/retry_failed_webhook.ts";
import { startCallCenter } from "../support/callCenter.ts";
import { db, waitFor } from "../support/engine.ts";
import { signedPost } from "../support/twilioRequests.ts";

const tasks = [processWebhookCallback, retryFailedWebhook, checkFailedWebhooks];
const count = async (table: string) =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db()))
      .rows[0]?.n,
  );

describe("Twilio webhooks", () => {
  it("refuses a bad or missing signature with 403, storing and enqueueing nothing", async () => {
    const { base, services } = await startCallCenter(tasks, { worker: false });
    const before = [await count("webhook_logs"), await count("executions"), await count("calls")];
    const params = {
      CallSid: "CA00000000000000000000000000000bad",
      CallStatus: "completed",
      SequenceNumber: "3",
    };
    const forged = await signedPost(
      base,
      "not-the-auth-token-at-all",
      "/webhooks/twilio/call-status",
      params,
    );
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe(
      "invalid_signature",
    );
    const missing = await fetch(`${base}/webhooks/twilio/call-status`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params).toString(),
    });
    expect(missing.status).toBe(403);
    // Signed for another host (as if the Host header were trusted): refused too.
    const otherHost = await signedPost(
      base,
      services.twilio.authToken,
      "/webhooks/twilio/call-status",
      params,
      "http://evil.example/webhooks/twilio/call-status",
    );
    expect(otherHost.status).toBe(403);
    expect([await count("webhook_logs"), await count("executions"), await count("calls")]).toEqual(
      before,
    );
  });

  it("logs a signed callback and enqueues its processing once per distinct callback", async () => {
    const { base, services } = await startCallCenter(tasks, { worker: false });
    const params = {
      CallSid: "CA0000000000000000000000000000beef",
      CallStatus: "ringing",
      SequenceNumber: "1",
      Direction: "inbound",
      From: "+15551230000",
      To: "+15559870000",
    };
    for (let i = 0; i < 2; i++) {
      const response = await signedPost(
        base,
        services.twilio.authToken,
        "/webhooks/twilio/call-status",
        params,
      );
      expect(response.status).toBe(204);
    }
    const logs = await db()
      .selectFrom("webhook_logs")
      .selectAll()
      .where("dedupe_key", "like", "call-status:CA0000000000000000000000000000beef%")
      .execute();
    expect(logs).toHaveLength(2);
    expect(logs.every((log) => log.signature_valid)).toBe(true);
    expect(logs[1]?.duplicate_of).toBe(logs[0]?.id);
    const live = await db()
      .selectFrom("executions")
      .select("status")
      .where("task_name", "=", "process_webhook_callback")
      .where("status", "=", "queued")
      .execute();
    expect(live).toHaveLength(1);
  });

  it("applies duplicated and reordered callbacks once each; the call ends in its final state", async () => {
    const { services, simulator, worker } = await startCallCenter(tasks, {
      timing: { talkMs: 50 },
    });
    expect(worker).toBeDefined();
    simulator.injectFault({ kind: "duplicate", count: 1 });
    simulator.injectFault({ kind: "reorder", count: 1 });
    const call = await services.twilio.client.calls.create({
      to: "+15557654321",
      from: services.twilio.phoneNumber,
      url: `${services.twilio.publicBaseUrl}/webhooks/twilio/voice`,
      statusCallback: `${services.twilio.publicBaseUrl}/webhooks/twilio/call-status`,
      statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
    });
    await simulator.whenIdle();
    const row = await waitFor(async () => {
      const current = await db()
        .selectFrom("calls")
        .selectAll()
        .where("sid", "=", call.sid)
        .executeTakeFirst();
      const unprocessed = await db()
        .selectFrom("webhook_logs")
        .select("id")
        .where("processed_at", "is", null)
        .execute();
      return current?.status === "completed" && unprocessed.length === 0 ? current : undefined;
    }, 20_000);
    expect(row).toMatchObject({
      status: "completed",
      status_rank: 4,
      direction: "outbound-api",
      outcome: "completed",
    });
    expect(row.talk_seconds).toBeGreaterThanOrEqual(0);
    expect(row.duration_seconds).not.toBeNull();
    const events = await db()
      .selectFrom("call_events")
      .select(["sequence_number", "status"])
      .where("call_sid", "=", call.sid)
      .orderBy("sequence_number")
      .execute();
    expect(events.map((e) => e.status)).toEqual([
      "initiated",
      "ringing",
      "in-progress",
      "completed",
    ]);
    const received = await db()
      .selectFrom("webhook_logs")
      .select("id")
      .where("dedupe_key", "like", `call-status:${call.sid}%`)
      .execute();
    expect(received.length).toBe(8);
  });

  it("retries an unprocessed webhook from the log", async () => {
    const { base, services } = await startCallCenter(tasks, { worker: false });
    const params = {
      CallSid: "CA00000000000000000000000000000f00",
      CallStatus: "busy",
      SequenceNumber: "2",
      Direction: "outbound-api",
      From: "+15551230000",
      To: "+15559870001",
    };
    await signedPost(base, services.twilio.authToken, "/webhooks/twilio/call-status", params);
    const log = await db()
      .selectFrom("webhook_logs")
      .select(["id", "received_at"])
      .where("dedupe_key", "like", "call-status:CA00000000000000000000000000000f00%")
      .executeTakeFirstOrThrow();
    // The first processing job is lost (e.g. deleted by an operator); the sweep finds the log.
    await sql`delete from graphile_worker._private_jobs`.execute(db());
    await sql`update webhook_logs set received_at = now() - interval '10 minutes' where id = ${log.id}`.execute(
      db(),
    );
    const { startTestWorker } = await import("../support/engine.ts");
    await startTestWorker(tasks, { services });
    const { enqueue } = await import("../../src/engine/enqueue.ts");
    await enqueue(db(), checkFailedWebhooks, {});
    const processed = await waitFor(() =>
      db()
        .selectFrom("webhook_logs")
        .select(["processed_at", "attempts"])
        .where("id", "=", log.id)
        .where("processed_at", "is not", null)
        .executeTakeFirst(),
    );
    expect(processed.attempts).toBe(1);
    const call = await db()
      .selectFrom("calls")
      .select("status")
      .where("sid", "=", "CA00000000000000000000000000000f00")
      .executeTakeFirstOrThrow();
    expect(call.status).toBe("busy");
  });
});
