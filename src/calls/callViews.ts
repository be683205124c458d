/**
 * Calls and campaigns as the HTTP API shows them: public ids only (never the serial ids; an
 * agent's id is public, it names the agent in `/api/agents/{id}`), ISO dates, a call queue by
 * its name, and a call's status events in the order Twilio numbered them.
 */
import type { Selectable } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Call, CallEventTable, Campaign } from "../database/schema.ts";
import { CALL_SID_PATTERN } from "./payloads.ts";

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export interface CallEventView {
  status: string;
  sequence_number: number | null;
  received_at: string;
  /** False when it arrived late or repeated and did not move the call. */
  applied: boolean;
}

export interface CallView {
  call_id: string;
  call_sid: string | null;
  campaign_id: string | null;
  direction: string;
  /** Null until dialed when the account's default caller id is used. */
  from_number: string | null;
  to_number: string;
  status: string;
  metadata: unknown;
  answered_by: string | null;
  error: { code: number | null; message: string | null } | null;
  dial_attempts: number;
  created_at: string;
  scheduled_for: string | null;
  dialed_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  /** Inbound: the call queue the caller waited in, and the agent who answered. */
  call_queue: string | null;
  agent_id: number | null;
  enqueued_at: string | null;
  queue_result: string | null;
  wait_seconds: number | null;
  talk_seconds: number | null;
  hold_seconds: number;
  wrap_up_seconds: number | null;
  /** How the call ended, for reports; null while it is live. */
  outcome: string | null;
  updated_at: string;
}

export interface CallWithEventsView extends CallView {
  events: CallEventView[];
}

/** A call with its campaign's public id and its call queue's name. */
export type CallRow = Call & { campaign_public_id: string | null; call_queue_name: string | null };

export function toCallView(call: CallRow): CallView {
  return {
    call_id: call.public_id,
    call_sid: call.sid,
    campaign_id: call.campaign_public_id,
    direction: call.direction,
    from_number: call.from_number || null,
    to_number: call.to_number,
    status: call.status,
    metadata: call.metadata,
    answered_by: call.answered_by,
    error:
      call.error_code !== null || call.error_message !== null
        ? { code: call.error_code, message: call.error_message }
        : null,
    dial_attempts: call.dial_attempts,
    created_at: call.created_at.toISOString(),
    scheduled_for: iso(call.scheduled_for),
    dialed_at: iso(call.dialed_at),
    answered_at: iso(call.answered_at),
    ended_at: iso(call.ended_at),
    duration_seconds: call.duration_seconds,
    call_queue: call.call_queue_name,
    agent_id: call.agent_id,
    enqueued_at: iso(call.enqueued_at),
    queue_result: call.queue_result,
    wait_seconds: call.wait_seconds,
    talk_seconds: call.talk_seconds,
    hold_seconds: call.hold_seconds,
    wrap_up_seconds: call.wrap_up_seconds,
    outcome: call.outcome,
    updated_at: call.updated_at.toISOString(),
  };
}

/** Calls with their campaign's public id and call queue's name, for views. */
export function callRows(db: Db) {
  return db
    .selectFrom("calls")
    .leftJoin("campaigns", "campaigns.id", "calls.campaign_id")
    .leftJoin("call_queues", "call_queues.id", "calls.call_queue_id")
    .selectAll("calls")
    .select(["campaigns.public_id as campaign_public_id", "call_queues.name as call_queue_name"]);
}

/** A call by its Twilio sid or its public id, with its events; undefined when unknown. */
export async function callViewOf(db: Db, sidOrId: string): Promise<CallWithEventsView | undefined> {
  const call = await callRows(db)
    .where(CALL_SID_PATTERN.test(sidOrId) ? "calls.sid" : "calls.public_id", "=", sidOrId)
    .executeTakeFirst();
  if (!call) return undefined;
  // By sid, through call_events_once's index: a call has events only once Twilio knows it.
  const events = call.sid
    ? await db
        .selectFrom("call_events")
        .selectAll()
        .where("call_sid", "=", call.sid)
        .orderBy("sequence_number", (ob) => ob.asc().nullsLast())
        .orderBy("received_at")
        .orderBy("id")
        .execute()
    : [];
  return {
    ...toCallView(call),
    events: events.map((event: Selectable<CallEventTable>) => ({
      status: event.status,
      sequence_number: event.sequence_number,
      received_at: event.received_at.toISOString(),
      applied: event.applied,
    })),
  };
}

export interface CampaignView {
  campaign_id: string;
  name: string | null;
  status: string;
  from_number: string;
  max_concurrent_calls: number;
  delay_between_calls: number;
  metadata: unknown;
  created_at: string;
  finished_at: string | null;
}

export function toCampaignView(campaign: Campaign): CampaignView {
  return {
    campaign_id: campaign.public_id,
    name: campaign.name,
    status: campaign.status,
    from_number: campaign.from_number,
    max_concurrent_calls: campaign.max_concurrent_calls,
    delay_between_calls: campaign.delay_between_calls_ms / 1000,
    metadata: campaign.metadata,
    created_at: campaign.created_at.toISOString(),
    finished_at: iso(campaign.finished_at),
  };
}
