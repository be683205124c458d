/**
 * Managing calls already placed (seed 001's call management and cleanup): hang up, read the
 * status from Twilio, and settle calls stuck in a non-final status.
 */
import { sql } from "kysely";
import type { CallInstance } from "twilio/lib/rest/api/v2010/account/call.js";
import type { TwilioService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import { PermanentError } from "../engine/errors.ts";
import { twilioRequest } from "../twilio/circuitBreaker.ts";
import { isTwilioNotFound } from "../twilio/errors.ts";
import { callGetBySid } from "./callIntents.ts";
import { applyFetchedCallStatus, endCallLocally } from "./fetchedStatus.ts";

/** A call as Twilio reports it, in seed 001's `call_info` shape (snake_case, ISO dates). */
export interface CallInfo {
  sid: string;
  status: string;
  direction: string;
  from: string;
  to: string;
  duration: number | null;
  start_time: string | null;
  end_time: string | null;
  price: string | null;
  price_unit: string | null;
  answered_by: string | null;
  parent_call_sid: string | null;
  date_created: string | null;
  date_updated: string | null;
}

const iso = (value: Date | null | undefined) =>
  value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : null;

export function callInfoOf(call: CallInstance): CallInfo {
  const duration = Number(call.duration);
  return {
    sid: call.sid,
    status: call.status,
    direction: call.direction,
    from: call.from,
    to: call.to,
    duration: call.duration != null && Number.isFinite(duration) ? duration : null,
    start_time: iso(call.startTime),
    end_time: iso(call.endTime),
    price: call.price ?? null,
    price_unit: call.priceUnit ?? null,
    answered_by: call.answeredBy ?? null,
    parent_call_sid: call.parentCallSid ?? null,
    date_created: iso(call.dateCreated),
    date_updated: iso(call.dateUpdated),
  };
}

export interface CallStatusResult {
  call_info: CallInfo;
  /** Our row's status afterwards; null when we hold no row for the sid. */
  recorded_status: string | null;
}

/** Fetches the call from Twilio and moves our row forward to what it says (never backwards). */
export async function getCallStatus(
  db: Db,
  twilio: TwilioService,
  callSid: string,
): Promise<CallStatusResult> {
  const fetched = await twilioRequest(db, twilio, (client) => client.calls(callSid).fetch()).catch(
    (error: unknown) => {
      if (isTwilioNotFound(error)) throw new PermanentError(`Twilio has no call ${callSid}`);
      throw error;
    },
  );
  const row = await callGetBySid(db, callSid);
  const applied = row ? await applyFetchedCallStatus(db, row.id, fetched) : undefined;
  return { call_info: callInfoOf(fetched), recorded_status: applied?.status ?? null };
}

export interface EndCallResult {
  call_sid: string;
  /** As Twilio answered: `completed` for an answered call, `canceled` for one not yet answered. */
  status: string;
}

/** Hangs up a live call (`Status=completed`); a call already ended is left as it is. */
export async function endCall(
  db: Db,
  twilio: TwilioService,
  callSid: string,
): Promise<EndCallResult> {
  const updated = await twilioRequest(db, twilio, (client) =>
    client.calls(callSid).update({ status: "completed" }),
  ).catch((error: unknown) => {
    if (isTwilioNotFound(error)) throw new PermanentError(`Twilio has no call ${callSid}`);
    throw error;
  });
  const row = await callGetBySid(db, callSid);
  if (row) await applyFetchedCallStatus(db, row.id, updated);
  return { call_sid: callSid, status: updated.status };
}

export interface CleanupResult {
  /** Non-final calls older than the cut-off that were looked at. */
  checked: number;
  /** Moved forward to the status Twilio reports. */
  refreshed: number;
  /** Twilio says they are still live (long calls, queued by Twilio). */
  still_active: number;
  /** Ended here as `failed`: never placed, or unknown to Twilio. */
  marked_failed: number;
  /** Twilio could not be asked; left for the next run. */
  errors: number;
}

/**
 * Settles calls stuck in a non-final status for longer than `maxAgeHours` (counted from when
 * they were due): a call with a sid gets its real status from Twilio; an intent never placed
 * is marked `failed` with the reason. At most `limit` calls per run, oldest first.
 */
export async function cleanupStaleCalls(
  db: Db,
  twilio: TwilioService,
  maxAgeHours: number,
  limit = 500,
): Promise<CleanupResult> {
  const cutoff = new Date(Date.now() - maxAgeHours * 3_600_000);
  const stale = await db
    .selectFrom("calls")
    .select(["id", "sid", "dialed_at"])
    .where("status_rank", "<", 4)
    .where(sql<Date>`coalesce(scheduled_for, created_at)`, "<", cutoff)
    .orderBy("id")
    .limit(limit)
    .execute();
  const result: CleanupResult = {
    checked: stale.length,
    refreshed: 0,
    still_active: 0,
    marked_failed: 0,
    errors: 0,
  };
  for (const call of stale) {
    if (!call.sid) {
      const reason = call.dialed_at
        ? `no answer to its dial request came back from Twilio within ${maxAgeHours} h`
        : `not dialed within ${maxAgeHours} h of being due`;
      if (await endCallLocally(db, call.id, { status: "failed", errorMessage: reason })) {
        result.marked_failed++;
      }
      continue;
    }
    try {
      const sid = call.sid;
      const fetched = await twilioRequest(db, twilio, (client) => client.calls(sid).fetch());
      const applied = await applyFetchedCallStatus(db, call.id, fetched);
      if (applied.advanced) result.refreshed++;
      if (!applied.finished) result.still_active++;
    } catch (error) {
      if (!isTwilioNotFound(error)) {
        result.errors++;
        continue;
      }
      const ended = await endCallLocally(db, call.id, {
        status: "failed",
        errorMessage: `Twilio has no call ${call.sid} (checked by cleanup_stale_calls)`,
      });
      if (ended) result.marked_failed++;
    }
  }
  return result;
}
