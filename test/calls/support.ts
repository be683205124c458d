/**
 * A call center for tests: the simulator (real SDK over real HTTP) from startTestServices, and a
 * small local webhook server standing in for the API's Twilio webhooks. It checks each status
 * callback's signature with `twilio.validateRequest` and applies it as the webhook processing
 * will: `applyCallStatusCallback` and, on a campaign call's final status,
 * `onCampaignCallFinished`, in one transaction.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { sql } from "kysely";
import twilio from "twilio";
import { afterAll } from "vitest";
import { applyCallStatusCallback, type CallStatusCallback } from "../../src/calls/callStatus.ts";
import { onCampaignCallFinished } from "../../src/calls/campaignSlots.ts";
import type { Db } from "../../src/database/pool.ts";
import type { Call } from "../../src/database/schema.ts";
import type { SimulatorTiming } from "../../src/twilio/simulator/options.ts";
import cleanupStaleCalls from "../../tasks/cleanup_stale_calls.ts";
import endCall from "../../tasks/end_call.ts";
import getCallStatus from "../../tasks/get_call_status.ts";
import queueBulkCalls from "../../tasks/queue_bulk_calls.ts";
import queueOutboundCall from "../../tasks/queue_outbound_call.ts";
import retryFailedCall from "../../tasks/retry_failed_call.ts";
import scheduleCall from "../../tasks/schedule_call.ts";
import { testDb } from "../support/database.ts";
import { waitFor } from "../support/engine.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

export const callTasks = [
  queueOutboundCall,
  queueBulkCalls,
  scheduleCall,
  endCall,
  getCallStatus,
  retryFailedCall,
  cleanupStaleCalls,
];

export interface WebhookReceiver {
  url: string;
  /** Callbacks refused for a bad signature. */
  refused: number;
  /** Callbacks applied. */
  applied: number;
  close(): Promise<void>;
}

const RETRYABLE = new Set(["40001", "40P01", "23505"]);

/** Serves `/webhooks/twilio/call-status` (and a TwiML `/webhooks/twilio/voice`) on loopback. */
export async function startWebhookReceiver(db: Db, authToken: string): Promise<WebhookReceiver> {
  let base = "";
  const receiver: WebhookReceiver = { url: "", refused: 0, applied: 0, close: async () => {} };
  const app = new Hono();
  app.post("/webhooks/twilio/voice", (c) =>
    c.body("<Response><Say>Hello</Say></Response>", 200, { "content-type": "text/xml" }),
  );
  app.post("/webhooks/twilio/call-status", async (c) => {
    const params = Object.fromEntries(new URLSearchParams(await c.req.text()));
    const url = `${base}${new URL(c.req.url).pathname}${new URL(c.req.url).search}`;
    const signature = c.req.header("x-twilio-signature") ?? "";
    if (!twilio.validateRequest(authToken, signature, url, params)) {
      receiver.refused++;
      return c.text("invalid signature", 403);
    }
    for (let round = 1; ; round++) {
      try {
        await db.transaction().execute(async (trx) => {
          const applied = await applyCallStatusCallback(trx, params as CallStatusCallback);
          if (applied.finished && applied.campaignId !== null) {
            await onCampaignCallFinished(trx, applied.campaignId, applied.callId);
          }
        });
        receiver.applied++;
        return c.body(null, 204);
      } catch (error) {
        const code = String((error as { code?: unknown }).code);
        if (!RETRYABLE.has(code) || round >= 5) throw error;
      }
    }
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(started),
    );
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  receiver.url = base;
  receiver.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
  return receiver;
}

const receivers: WebhookReceiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

export interface CallCenter extends TestServices {
  receiver: WebhookReceiver;
}

/** The simulator, services pointing their webhooks at a local receiver, stopped after the file. */
export async function startCallCenter(
  options: { timing?: Partial<SimulatorTiming>; callsPerSecond?: number } = {},
): Promise<CallCenter> {
  const services = await startTestServices(options);
  const receiver = await startWebhookReceiver(testDb().db, services.simulator.authToken);
  receivers.push(receiver);
  services.services.twilio.publicBaseUrl = receiver.url;
  return { ...services, receiver };
}

export function callRow(publicId: string, db: Db = testDb().db): Promise<Call> {
  return db
    .selectFrom("calls")
    .selectAll()
    .where("public_id", "=", publicId)
    .executeTakeFirstOrThrow();
}

/** Waits until the call reaches a final status; returns its row. */
export function waitForFinalCall(publicId: string, timeoutMs = 15_000): Promise<Call> {
  return waitFor(async () => {
    const row = await callRow(publicId);
    return row.status_rank >= 4 ? row : undefined;
  }, timeoutMs);
}

export async function countRows(
  db: Db,
  table: "calls" | "campaigns" | "executions" | "audit_log",
): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(
    table,
  )}`.execute(db);
  return rows[0]?.n ?? 0;
}
