/**
 * A call center for call tests: the Twilio simulator (real SDK over real HTTP) and the API on a
 * loopback port, so every status callback goes the production way — signature checked and
 * logged by the webhook route, then applied by `process_webhook_callback` on a worker the test
 * starts with `callTasks`.
 */
import { sql } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import type { Call } from "../../src/database/schema.ts";
import type { SimulatorTiming } from "../../src/twilio/simulator/options.ts";
import cleanupStaleCalls from "../../tasks/cleanup_stale_calls.ts";
import endCall from "../../tasks/end_call.ts";
import getCallStatus from "../../tasks/get_call_status.ts";
import processWebhookCallback from "../../tasks/process_webhook_callback.ts";
import queueBulkCalls from "../../tasks/queue_bulk_calls.ts";
import queueOutboundCall from "../../tasks/queue_outbound_call.ts";
import retryFailedCall from "../../tasks/retry_failed_call.ts";
import scheduleCall from "../../tasks/schedule_call.ts";
import { startCallCenter } from "./callCenter.ts";
import { testDb } from "./database.ts";
import { waitFor } from "./engine.ts";

/** The call tasks and the processing of Twilio's callbacks. */
export const callTasks = [
  queueOutboundCall,
  queueBulkCalls,
  scheduleCall,
  endCall,
  getCallStatus,
  retryFailedCall,
  cleanupStaleCalls,
  processWebhookCallback,
];

export type CallCenter = Awaited<ReturnType<typeof startCallCenter>>;

const centers: CallCenter[] = [];

/** The simulator and the API serving `callTasks`' webhooks; the test starts its own worker. */
export async function startCallTasksCenter(
  options: { timing?: Partial<SimulatorTiming>; callsPerSecond?: number } = {},
): Promise<CallCenter> {
  const center = await startCallCenter(callTasks, { ...options, worker: false });
  centers.push(center);
  return center;
}

/** Callbacks the API did not take (a bad signature is refused with 403). */
export function refusedCallbacks(center: CallCenter) {
  return center.simulator
    .eventLog()
    .callbacks.filter((callback) => callback.responseStatus !== 204)
    .map(({ type, status, responseStatus, error }) => ({ type, status, responseStatus, error }));
}

/** Waits until every simulator of the file has sent all its callbacks. */
export async function simulatorsIdle(timeoutMs = 15_000): Promise<void> {
  for (const center of centers) await center.simulator.whenIdle(timeoutMs);
}

/** Waits until every callback was sent and a worker applied it. */
export async function callbacksApplied(timeoutMs = 15_000): Promise<void> {
  await simulatorsIdle(timeoutMs);
  await waitFor(async () => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from webhook_logs where processed_at is null`.execute(testDb().db);
    return rows[0]?.n === 0;
  }, timeoutMs);
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
