/**
 * Inbound calls through Twilio's call queues: the caller is `<Enqueue>`d into a call queue, the
 * queue's action callback says how the wait ended, and an agent's leg `<Dial><Queue>` takes the
 * next caller (the `<Queue url>` request names the caller's CallSid). Each step is idempotent:
 * the first value recorded wins, so a repeated callback changes nothing.
 * No step fills `hold_seconds`: a caller bridged by `<Dial><Queue>` cannot be held — Twilio
 * holds conference participants only — so it stays 0.
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Database } from "../database/schema.ts";
import { recordAgentState } from "./agentStates.ts";
import { refreshCallOutcome } from "./callOutcome.ts";

/** Twilio's QueueResult values of the `<Enqueue>` action callback. */
export const queueResults = [
  "bridged",
  "bridging-in-process",
  "queue-full",
  "redirected",
  "leave",
  "hangup",
  "error",
  "system-error",
] as const;
export type QueueResult = (typeof queueResults)[number];

/** A call queue by its id (digits) or its name. */
export async function callQueueFind(db: Db | Transaction<Database>, ref: string) {
  const query = db.selectFrom("call_queues").select(["id", "name"]);
  return (
    /^\d{1,15}$/.test(ref) ? query.where("id", "=", Number(ref)) : query.where("name", "=", ref)
  ).executeTakeFirst();
}

/** An agent by id, else by the phone number their leg calls from. */
export async function agentFind(
  db: Db | Transaction<Database>,
  by: { agentId?: number; phoneNumber?: string },
) {
  const query = db.selectFrom("agents").select(["id", "name"]);
  if (by.agentId !== undefined) return query.where("id", "=", by.agentId).executeTakeFirst();
  if (!by.phoneNumber) return undefined;
  return query.where("phone_number", "=", by.phoneNumber).orderBy("id").executeTakeFirst();
}

/** Creates the inbound call (or finds it by CallSid) and puts it in its call queue. */
export async function inboundCallEnqueue(
  trx: Transaction<Database>,
  call: { callSid: string; from: string; to: string; callQueueId: number },
): Promise<{ id: number; callQueueId: number }> {
  const row = await sql<{ id: number; call_queue_id: number }>`
    insert into calls (sid, direction, from_number, to_number, call_queue_id, enqueued_at)
    values (${call.callSid}, 'inbound', ${call.from}, ${call.to}, ${call.callQueueId}, now())
    on conflict (sid) do update set
      call_queue_id = coalesce(calls.call_queue_id, excluded.call_queue_id),
      enqueued_at = coalesce(calls.enqueued_at, excluded.enqueued_at),
      from_number = case when calls.from_number = '' then excluded.from_number else calls.from_number end,
      to_number = case when calls.to_number = '' then excluded.to_number else calls.to_number end,
      updated_at = now()
    returning id, call_queue_id`.execute(trx);
  const inserted = row.rows[0] as { id: number; call_queue_id: number };
  return { id: inserted.id, callQueueId: inserted.call_queue_id };
}

/**
 * Records how the caller's wait ended (the `<Enqueue>` action callback). A caller who hung up
 * while waiting has ended the call. `undefined` for a CallSid that is no inbound call of ours.
 */
export async function queueResultApply(
  trx: Transaction<Database>,
  result: { callSid: string; queueResult: QueueResult; queueTime: number; queueSid?: string },
): Promise<{ callId: number; queueResult: string } | undefined> {
  const row = await sql<{ id: number; queue_result: string }>`
    update calls set
      queue_result = coalesce(queue_result, ${result.queueResult}),
      wait_seconds = coalesce(wait_seconds, ${result.queueTime}::int),
      queue_sid = coalesce(queue_sid, ${result.queueSid ?? null}),
      ended_at = case when ${result.queueResult} = 'hangup' and queue_result is null
        then coalesce(ended_at, now()) else ended_at end,
      updated_at = now()
    where sid = ${result.callSid} and direction = 'inbound'
    returning id, queue_result`.execute(trx);
  const call = row.rows[0];
  if (!call) return undefined;
  await refreshCallOutcome(trx, call.id);
  return { callId: call.id, queueResult: call.queue_result };
}

/**
 * An agent's leg took the caller out of the call queue: the call is answered by that agent and
 * the agent is busy on it. The first agent recorded keeps the call; a call that ended unanswered
 * (the caller hung up first) stays unanswered. `undefined` for a CallSid that is no inbound call
 * of ours.
 */
export async function agentAnswerApply(
  trx: Transaction<Database>,
  answer: { callSid: string; agentId: number; queueTime?: number; queueSid?: string },
): Promise<{ callId: number; agentId: number | null } | undefined> {
  const row = await sql<{ id: number; agent_id: number | null; answered_at: Date | null }>`
    update calls set
      agent_id = case when ended_at is not null and answered_at is null then agent_id
        else coalesce(agent_id, ${answer.agentId}::bigint) end,
      answered_at = case when ended_at is not null then answered_at
        else coalesce(answered_at, now()) end,
      wait_seconds = coalesce(wait_seconds, ${answer.queueTime ?? null}::int),
      queue_sid = coalesce(queue_sid, ${answer.queueSid ?? null}),
      updated_at = now()
    where sid = ${answer.callSid} and direction = 'inbound'
    returning id, agent_id, answered_at`.execute(trx);
  const call = row.rows[0];
  if (!call) return undefined;
  if (call.agent_id === answer.agentId && call.answered_at !== null) {
    await recordAgentState(trx, {
      agentId: call.agent_id,
      state: "busy",
      startedAt: call.answered_at,
      callId: call.id,
    });
  }
  await refreshCallOutcome(trx, call.id);
  return { callId: call.id, agentId: call.agent_id };
}
