/**
 * Applying Twilio's call status callbacks to the `calls` table. Callbacks may repeat and arrive
 * out of order: each (CallSid, SequenceNumber, CallStatus) is recorded once in `call_events`,
 * and a call's status only ever moves forward by rank — a late `ringing` never follows
 * `in-progress`, and nothing follows a final status. An inbound call is answered when an agent
 * takes it from its call queue (inboundCalls.ts), not when Twilio picks it up to enqueue it.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../database/schema.ts";
import { isStorableInstant } from "../database/storableTimestamp.ts";
import { startWrapUp } from "./agentStates.ts";
import { refreshCallOutcome } from "./callOutcome.ts";

/** Twilio's call statuses in the order a call moves through them. */
export const callStatusRank: Record<string, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  "in-progress": 3,
  completed: 4,
  busy: 4,
  "no-answer": 4,
  failed: 4,
  canceled: 4,
};

export const finalCallStatuses = ["completed", "busy", "no-answer", "failed", "canceled"] as const;

export function isFinalCallStatus(status: string): boolean {
  return (finalCallStatuses as readonly string[]).includes(status);
}

export interface CallStatusCallback {
  CallSid: string;
  CallStatus: string;
  From?: string;
  To?: string;
  Direction?: string;
  SequenceNumber?: string;
  CallDuration?: string;
  Duration?: string;
  AnsweredBy?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
  Timestamp?: string;
  [param: string]: string | undefined;
}

export interface AppliedCallStatus {
  callId: number;
  /** False for a repeat of a callback already recorded. */
  recorded: boolean;
  /** True when the call's status moved forward. */
  advanced: boolean;
  status: string;
  /** The call reached a final status with this callback. */
  finished: boolean;
  campaignId: number | null;
}

/** Records one callback and moves the call forward if it is news. Run it in a transaction. */
export async function applyCallStatusCallback(
  trx: Transaction<Database>,
  params: CallStatusCallback,
): Promise<AppliedCallStatus> {
  const rank = callStatusRank[params.CallStatus];
  if (rank === undefined) throw new Error(`unknown CallStatus "${params.CallStatus}"`);
  const sequence = params.SequenceNumber === undefined ? null : Number(params.SequenceNumber);
  const call = await findOrCreateCall(trx, params);

  const event = await sql<{ id: number }>`
    insert into call_events (call_id, call_sid, sequence_number, status, payload)
    values (${call.id}, ${params.CallSid}, ${sequence}, ${params.CallStatus}, ${JSON.stringify(params)}::jsonb)
    on conflict do nothing
    returning id`.execute(trx);
  const recorded = event.rows.length > 0;
  if (!recorded || rank <= call.status_rank) {
    return {
      callId: call.id,
      recorded,
      advanced: false,
      status: call.status,
      finished: false,
      campaignId: call.campaign_id,
    };
  }

  const final = rank === 4;
  const parsedDuration = Number(params.CallDuration ?? params.Duration);
  const duration = Number.isInteger(parsedDuration) && parsedDuration >= 0 ? parsedDuration : null;
  const happenedAt = callbackTime(params.Timestamp);
  // When the call ended: Twilio's Timestamp of the callback; else the start of what CallDuration
  // counts (Twilio picking the call up: enqueued for inbound, answered for outbound) plus it;
  // else when the callback is applied.
  await sql`
    update calls set
      status = ${params.CallStatus},
      status_rank = ${rank},
      last_sequence_number = greatest(last_sequence_number, ${sequence}),
      answered_at = case when ${params.CallStatus} = 'in-progress' and direction <> 'inbound'
        then coalesce(answered_at, ${happenedAt}::timestamptz, now()) else answered_at end,
      ended_at = case when ${final} then coalesce(ended_at, ${happenedAt}::timestamptz,
        (case when direction = 'inbound' then enqueued_at else answered_at end)
          + make_interval(secs => ${duration}::int), now()) else ended_at end,
      duration_seconds = case when ${final} and ${duration !== null} then ${duration}::int else duration_seconds end,
      answered_by = coalesce(${params.AnsweredBy ?? null}, answered_by),
      error_code = coalesce(${params.ErrorCode ? Number(params.ErrorCode) : null}::int, error_code),
      error_message = coalesce(${params.ErrorMessage ?? null}, error_message),
      updated_at = now()
    where id = ${call.id}`.execute(trx);
  await sql`update call_events set applied = true where id = ${event.rows[0]?.id}`.execute(trx);
  if (final) await onCallEnded(trx, call.id);
  return {
    callId: call.id,
    recorded,
    advanced: true,
    status: params.CallStatus,
    finished: final,
    campaignId: call.campaign_id,
  };
}

/** Twilio's `Timestamp` (RFC 2822, e.g. `Tue, 31 Aug 2010 20:36:28 +0000`); null if unreadable. */
function callbackTime(timestamp: string | undefined): Date | null {
  if (!timestamp) return null;
  const epochMs = Date.parse(timestamp);
  return Number.isFinite(epochMs) && isStorableInstant(epochMs) ? new Date(epochMs) : null;
}

/** A call that ended gets its outcome; its agent, busy on it, goes to wrap-up. */
async function onCallEnded(trx: Transaction<Database>, callId: number) {
  await refreshCallOutcome(trx, callId);
  const call = await trx
    .selectFrom("calls")
    .select(["agent_id", "ended_at"])
    .where("id", "=", callId)
    .executeTakeFirstOrThrow();
  if (call.agent_id !== null && call.ended_at !== null) {
    await startWrapUp(trx, { id: callId, agentId: call.agent_id, endedAt: call.ended_at });
  }
}

/** The call a callback is about; an inbound call we have not seen yet is created here. */
async function findOrCreateCall(trx: Transaction<Database>, params: CallStatusCallback) {
  const existing = await trx
    .selectFrom("calls")
    .select(["id", "status", "status_rank", "campaign_id"])
    .where("sid", "=", params.CallSid)
    .forUpdate()
    .executeTakeFirst();
  if (existing) return existing;
  const direction =
    params.Direction === "inbound"
      ? "inbound"
      : params.Direction === "outbound-dial"
        ? "outbound-dial"
        : "outbound-api";
  return trx
    .insertInto("calls")
    .values({
      sid: params.CallSid,
      direction,
      from_number: params.From ?? "",
      to_number: params.To ?? "",
      status: "queued",
    })
    .onConflict((oc) => oc.column("sid").doUpdateSet({ updated_at: sql`now()` }))
    .returning(["id", "status", "status_rank", "campaign_id"])
    .executeTakeFirstOrThrow();
}
