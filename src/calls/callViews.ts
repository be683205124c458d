/**
 * Calls and campaigns as the HTTP API shows them: public ids only (never the serial ids), ISO
 * dates, and a call's status events in the order Twilio numbered them.
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
  updated_at: string;
  events: CallEventView[];
}

export function toCallView(
  call: Call,
  campaignPublicId: string | null,
  events: Selectable<CallEventTable>[],
): CallView {
  return {
    call_id: call.public_id,
    call_sid: call.sid,
    campaign_id: campaignPublicId,
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
    updated_at: call.updated_at.toISOString(),
    events: events.map((event) => ({
      status: event.status,
      sequence_number: event.sequence_number,
      received_at: event.received_at.toISOString(),
      applied: event.applied,
    })),
  };
}

/** A call by its Twilio sid or its public id, with its events; undefined when unknown. */
export async function callViewOf(db: Db, sidOrId: string): Promise<CallView | undefined> {
  const call = await db
    .selectFrom("calls")
    .selectAll()
    .where(CALL_SID_PATTERN.test(sidOrId) ? "sid" : "public_id", "=", sidOrId)
    .executeTakeFirst();
  if (!call) return undefined;
  const [campaign, events] = await Promise.all([
    call.campaign_id === null
      ? undefined
      : db
          .selectFrom("campaigns")
          .select("public_id")
          .where("id", "=", call.campaign_id)
          .executeTakeFirst(),
    db
      .selectFrom("call_events")
      .selectAll()
      .where("call_id", "=", call.id)
      .orderBy("sequence_number", (ob) => ob.asc().nullsLast())
      .orderBy("received_at")
      .orderBy("id")
      .execute(),
  ]);
  return toCallView(call, campaign?.public_id ?? null, events);
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
