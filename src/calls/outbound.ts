/**
 * Dialing one outbound call, never twice for one intent (the `calls` row written before
 * dialing, see callIntents.ts). One run of the dial job:
 *
 * 1. The intent already has a sid: done, nothing is dialed. An intent that ended without one
 *    (refused, cleaned up, campaign cancelled) is not dialed either.
 * 2. A campaign call takes one of its campaign's `max_concurrent_calls` leases; all taken: snooze
 *    a short jittered while (no attempt spent). The final status callback gives it back
 *    (`onCampaignCallFinished`), or this module does when the call is never placed.
 * 3. An earlier request may have created the call (`dialed_at` set, no sid: a timeout, a 5xx, a
 *    lost connection, a crash): look for it on Twilio and adopt it instead of dialing.
 * 4. Take a token of the account's calls-per-second bucket (`twilio.calls`, shared by every
 *    worker, at services.twilio.callsPerSecond) and, in the same transaction, record the
 *    request (`dialed_at`, `dial_attempts`); refused: snooze until the bucket refills.
 * 5. `calls.create`:
 *    - success: record the sid;
 *    - 429 / 20429: definitely not created; snooze for Retry-After (no attempt spent);
 *    - other 4xx (21211 invalid number…): the intent fails for good (PermanentError);
 *    - anything else is ambiguous: fail the attempt, and the retry begins at step 3.
 */
import { sql } from "kysely";
import type { CallInstance } from "twilio/lib/rest/api/v2010/account/call.js";
import type { TwilioService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import { PermanentError, SnoozeError } from "../engine/errors.ts";
import { acquireLease, releaseLease } from "../engine/limits/concurrencyLease.ts";
import { takeRateLimitToken } from "../engine/limits/rateLimit.ts";
import { createCallIntent, executionIntentKey, failOnBadInput } from "./callIntents.ts";
import { isFinalCallStatus } from "./callStatus.ts";
import { callLeaseHolder, campaignLeaseKey, onCampaignCallFinished } from "./campaignSlots.ts";
import { applyFetchedCallStatus, endCallLocally, type FetchedCall } from "./fetchedStatus.ts";
import type { QueueOutboundCallPayload } from "./payloads.ts";

/** The shared calls-per-second bucket of the Twilio account. */
export const TWILIO_CALLS_RATE_LIMIT_KEY = "twilio.calls";

/** The call progress events every outbound call reports to its status callback. */
export const STATUS_CALLBACK_EVENTS = ["initiated", "ringing", "answered", "completed"];

export interface DialSettings {
  /** How long a campaign call holds its slot; the final status callback frees it sooner. */
  leaseTtlMs: number;
  /** Base wait when every slot of the campaign is taken; jittered up to twice this. */
  leaseWaitMs: number;
  /** Reconciliation looks for calls created from this long before the first dial request. */
  reconcileMarginMs: number;
  /** Create requests sent for one intent before it is given up. */
  maxDialRequests: number;
  /** Wait after a 429 whose Retry-After cannot be read. */
  rateLimitedWaitMs: number;
  /**
   * Calls are paced at callsPerSecond per (1 + pacingMargin) seconds. Twilio counts calls by
   * when their requests arrive, and requests take varying times to get there: the margin keeps
   * callsPerSecond + 1 arrivals out of any one second while those times vary by up to
   * pacingMargin seconds.
   */
  pacingMargin: number;
}

export const defaultDialSettings: DialSettings = {
  leaseTtlMs: 4 * 3_600_000,
  leaseWaitMs: 300,
  reconcileMarginMs: 15_000,
  maxDialRequests: 10,
  rateLimitedWaitMs: 1_000,
  pacingMargin: 0.1,
};

export interface DialRequest {
  /** The intent's public id. */
  callId: string;
  /** TwiML `Url`; default `${publicBaseUrl}/webhooks/twilio/voice`. */
  webhookUrl?: string | undefined;
  /** Default `${publicBaseUrl}/webhooks/twilio/call-status`. */
  statusCallbackUrl?: string | undefined;
  /** The job's last attempt: an ambiguous failure then ends the intent unless the call is found. */
  lastAttempt?: boolean;
}

export interface DialResult {
  call_id: string;
  call_sid: string | null;
  status: string;
  /**
   * dialed: placed by this run; adopted: found on Twilio after an ambiguous failure;
   * already_dialed: an earlier run placed it; not_dialed: the intent ended before being dialed.
   */
  outcome: "dialed" | "adopted" | "already_dialed" | "not_dialed";
}

/** The dial request's answer was lost: the call may or may not exist on Twilio. */
export class AmbiguousDialError extends Error {
  override name = "AmbiguousDialError";
}

export type DialFailure = "rate_limited" | "rejected" | "ambiguous";

/** What a failed `calls.create` means for the intent. */
export function classifyDialFailure(error: unknown): DialFailure {
  const status = (error as { status?: unknown })?.status;
  const code = (error as { code?: unknown })?.code;
  if (status === 429 || code === 20429) return "rate_limited";
  if (typeof status === "number" && status >= 400 && status < 500) return "rejected";
  return "ambiguous";
}

interface IntentRow {
  id: number;
  public_id: string;
  sid: string | null;
  status: string;
  to_number: string;
  from_number: string;
  campaign_id: number | null;
  scheduled_for: Date | null;
  dialed_at: Date | null;
  dial_attempts: number;
  max_concurrent_calls: number | null;
  campaign_status: string | null;
}

function loadIntent(db: Db, callId: string): Promise<IntentRow | undefined> {
  return db
    .selectFrom("calls")
    .leftJoin("campaigns", "campaigns.id", "calls.campaign_id")
    .select([
      "calls.id",
      "calls.public_id",
      "calls.sid",
      "calls.status",
      "calls.to_number",
      "calls.from_number",
      "calls.campaign_id",
      "calls.scheduled_for",
      "calls.dialed_at",
      "calls.dial_attempts",
      "campaigns.max_concurrent_calls",
      "campaigns.status as campaign_status",
    ])
    .where("calls.public_id", "=", callId)
    .executeTakeFirst();
}

/** Dials the intent `request.callId` at most once; see the steps at the top of this file. */
export async function dialCall(
  db: Db,
  twilio: TwilioService,
  request: DialRequest,
  settings: DialSettings = defaultDialSettings,
): Promise<DialResult> {
  const call = await loadIntent(db, request.callId);
  if (!call) throw new PermanentError(`no call ${request.callId}`);
  const result = (outcome: DialResult["outcome"], sid = call.sid, status = call.status) => ({
    call_id: call.public_id,
    call_sid: sid,
    status,
    outcome,
  });
  if (call.sid) return result("already_dialed");
  if (isFinalCallStatus(call.status)) return result("not_dialed");
  const waitMs = (call.scheduled_for?.getTime() ?? 0) - Date.now();
  if (waitMs > 50) throw new SnoozeError(waitMs, `call ${call.public_id} is scheduled later`);
  if (call.campaign_status === "cancelled" && call.campaign_id !== null) {
    await endCallLocally(db, call.id, {
      status: "canceled",
      errorMessage: "the campaign was cancelled before this call was dialed",
    });
    return result("not_dialed", null, "canceled");
  }

  const slot =
    call.campaign_id === null
      ? undefined
      : { key: campaignLeaseKey(call.campaign_id), holder: callLeaseHolder(call.id) };
  if (slot) {
    const max = call.max_concurrent_calls ?? 1;
    const held = await acquireLease(db, slot.key, slot.holder, { max, ttlMs: settings.leaseTtlMs });
    if (!held) {
      const wait = settings.leaseWaitMs + Math.round(Math.random() * settings.leaseWaitMs);
      throw new SnoozeError(wait, `all ${max} call slots of the campaign are in use`);
    }
  }
  const freeSlot = async () => {
    if (slot) await releaseLease(db, slot.key, slot.holder);
  };
  const from = call.from_number || twilio.phoneNumber;

  if (call.dialed_at) {
    const placed = await findPlacedCall(db, twilio, call, from, settings);
    if (placed) {
      const status = await attachSid(db, call.id, placed);
      return result("adopted", placed.sid, status);
    }
  }

  if (call.dial_attempts >= settings.maxDialRequests) {
    await endCallLocally(db, call.id, {
      status: "failed",
      errorMessage: `gave up after ${call.dial_attempts} dial requests`,
    });
    throw new PermanentError(
      `call ${call.public_id}: gave up after ${call.dial_attempts} dial requests`,
    );
  }
  // The token and the record of the request are one transaction, committed before the request
  // leaves: from then on, a retry reconciles before dialing.
  const token = await db.transaction().execute(async (trx) => {
    const decision = await takeRateLimitToken(trx, TWILIO_CALLS_RATE_LIMIT_KEY, {
      limit: twilio.callsPerSecond,
      perSeconds: 1 + settings.pacingMargin,
      // Twilio paces calls evenly: a full bucket must not let a burst through.
      burst: 1,
    });
    if (decision.granted) {
      await trx
        .updateTable("calls")
        .set({
          dialed_at: sql`coalesce(dialed_at, now())`,
          dial_attempts: sql`dial_attempts + 1`,
          from_number: from,
          updated_at: sql`now()`,
        })
        .where("id", "=", call.id)
        .where("sid", "is", null)
        .execute();
    }
    return decision;
  });
  if (!token.granted) {
    // Not dialing yet: let another call of the campaign use the slot meanwhile.
    await freeSlot();
    throw new SnoozeError(token.retryAfterMs, "waiting for the account's calls-per-second limit");
  }

  let created: CallInstance;
  try {
    created = await twilio.client.calls.create({
      to: call.to_number,
      from,
      url: request.webhookUrl ?? `${twilio.publicBaseUrl}/webhooks/twilio/voice`,
      statusCallback:
        request.statusCallbackUrl ?? `${twilio.publicBaseUrl}/webhooks/twilio/call-status`,
      statusCallbackEvent: STATUS_CALLBACK_EVENTS,
      statusCallbackMethod: "POST",
      // Every call is recorded; the recording pipeline takes it from the completed callback.
      record: true,
      recordingStatusCallback: `${twilio.publicBaseUrl}/webhooks/twilio/recording-status`,
      recordingStatusCallbackMethod: "POST",
    });
  } catch (error) {
    const failure = classifyDialFailure(error);
    const { code, message } = twilioErrorOf(error);
    if (failure === "rate_limited") {
      // Definitely not created: forget this request, keep any earlier ambiguous one.
      await db
        .updateTable("calls")
        .set({ dialed_at: call.dialed_at })
        .where("id", "=", call.id)
        .where("sid", "is", null)
        .execute();
      await freeSlot();
      throw new SnoozeError(
        retryAfterMs(twilio, settings.rateLimitedWaitMs),
        `Twilio rate limited the call (${code ?? 429}); retrying after Retry-After`,
      );
    }
    if (failure === "rejected") {
      await endCallLocally(db, call.id, {
        status: "failed",
        errorCode: code,
        errorMessage: message,
      });
      throw new PermanentError(`Twilio refused the call (${code ?? "no code"}): ${message}`, {
        cause: error,
      });
    }
    if (request.lastAttempt) {
      return giveUpOrAdopt(db, twilio, { ...call, dialed_at: call.dialed_at ?? new Date() }, from, {
        error,
        settings,
        result,
      });
    }
    throw new AmbiguousDialError(
      `the answer to the dial request was lost (${message}); the next attempt looks for the call on Twilio before dialing again`,
      { cause: error },
    );
  }
  const status = await attachSid(db, call.id, created);
  return result("dialed", created.sid, status);
}

/** On the last attempt: adopt the call if Twilio has it, else end the intent as failed. */
async function giveUpOrAdopt(
  db: Db,
  twilio: TwilioService,
  call: IntentRow & { dialed_at: Date },
  from: string,
  context: {
    error: unknown;
    settings: DialSettings;
    result: (outcome: DialResult["outcome"], sid?: string | null, status?: string) => DialResult;
  },
): Promise<DialResult> {
  const { message } = twilioErrorOf(context.error);
  let placed: FetchedCall | undefined;
  let lookup = "no call was found on Twilio";
  try {
    placed = await findPlacedCall(db, twilio, call, from, context.settings);
  } catch (error) {
    lookup = `looking for the call on Twilio failed too (${twilioErrorOf(error).message})`;
  }
  if (placed) {
    const status = await attachSid(db, call.id, placed);
    return context.result("adopted", placed.sid, status);
  }
  await endCallLocally(db, call.id, {
    status: "failed",
    errorMessage: `dialing failed on the last attempt (${message}); ${lookup}`,
  });
  throw new PermanentError(`call ${call.public_id}: dialing failed (${message}); ${lookup}`, {
    cause: context.error,
  });
}

/**
 * The call an earlier, unanswered request created, if Twilio has one: same To and From,
 * created since the first dial request (less a margin for clock skew), and not the call of
 * another intent. Queued calls have no start time yet, so they are listed on their own.
 */
async function findPlacedCall(
  db: Db,
  twilio: TwilioService,
  call: Pick<IntentRow, "id" | "to_number" | "dialed_at">,
  from: string,
  settings: DialSettings,
): Promise<CallInstance | undefined> {
  const since = new Date((call.dialed_at?.getTime() ?? Date.now()) - settings.reconcileMarginMs);
  const filters = { to: call.to_number, from };
  const [started, queued] = await Promise.all([
    twilio.client.calls.list({ ...filters, startTimeAfter: since, limit: 50 }),
    twilio.client.calls.list({ ...filters, status: "queued", limit: 50 }),
  ]);
  const candidates = new Map<string, CallInstance>();
  for (const listed of [...started, ...queued]) {
    if (listed.to !== filters.to || listed.from !== filters.from) continue;
    if (listed.dateCreated && listed.dateCreated.getTime() < since.getTime() - 1_000) continue;
    candidates.set(listed.sid, listed);
  }
  if (candidates.size === 0) return undefined;
  const taken = await db
    .selectFrom("calls")
    .select("sid")
    .where("sid", "in", [...candidates.keys()])
    .where("intent_key", "is not", null)
    .where("id", "!=", call.id)
    .execute();
  for (const { sid } of taken) if (sid) candidates.delete(sid);
  return [...candidates.values()].sort(
    (a, b) => (a.dateCreated?.getTime() ?? 0) - (b.dateCreated?.getTime() ?? 0),
  )[0];
}

const UNIQUE_VIOLATION = "23505";

/**
 * Records the sid on the intent and applies the status Twilio reported. The call's status
 * callbacks may have come first and made a row of their own for the sid (they did not know it
 * yet): that row is folded into the intent, keeping whichever status is further along.
 * Returns the intent's status afterwards.
 */
export async function attachSid(db: Db, callId: number, placed: FetchedCall): Promise<string> {
  for (let round = 1; ; round++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const other = await trx
          .selectFrom("calls")
          .selectAll()
          .where("sid", "=", placed.sid)
          .where("id", "!=", callId)
          .forUpdate()
          .executeTakeFirst();
        if (other && other.intent_key !== null) {
          throw new Error(`call ${placed.sid} already belongs to intent ${other.intent_key}`);
        }
        const mine = await trx
          .selectFrom("calls")
          .selectAll()
          .where("id", "=", callId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (mine.sid && mine.sid !== placed.sid) {
          throw new Error(`call ${mine.public_id} already has sid ${mine.sid}`);
        }
        if (other) {
          await trx
            .updateTable("call_events")
            .set({ call_id: callId })
            .where("call_id", "=", other.id)
            .execute();
          await trx
            .updateTable("recordings")
            .set({ call_id: callId })
            .where("call_id", "=", other.id)
            .execute();
          await trx.deleteFrom("calls").where("id", "=", other.id).execute();
        }
        const ahead = other && other.status_rank > mine.status_rank ? other : undefined;
        await trx
          .updateTable("calls")
          .set({
            sid: placed.sid,
            updated_at: sql`now()`,
            ...(ahead
              ? {
                  status: ahead.status,
                  status_rank: ahead.status_rank,
                  last_sequence_number: ahead.last_sequence_number,
                  answered_at: ahead.answered_at,
                  ended_at: ahead.ended_at,
                  duration_seconds: ahead.duration_seconds,
                  answered_by: ahead.answered_by,
                  error_code: ahead.error_code,
                  error_message: ahead.error_message,
                }
              : {}),
          })
          .where("id", "=", callId)
          .execute();
        const applied = await applyFetchedCallStatus(trx, callId, placed);
        if (ahead && isFinalCallStatus(ahead.status) && mine.campaign_id !== null) {
          // Its final callback found no campaign on the row it made: free the slot here.
          await onCampaignCallFinished(trx, mine.campaign_id, callId);
        }
        return applied.status;
      });
    } catch (error) {
      // A callback was inserting its own row for the sid at the same moment: fold it in.
      if ((error as { code?: unknown }).code === UNIQUE_VIOLATION && round < 3) continue;
      throw error;
    }
  }
}

function twilioErrorOf(error: unknown): { code: number | null; message: string } {
  const code = (error as { code?: unknown })?.code;
  return {
    code: typeof code === "number" ? code : null,
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The 429's Retry-After. The SDK keeps headers only on `httpClient.lastResponse`, set in the same
 * microtask run as the rejection reaches us, so it is the 429's own response.
 */
function retryAfterMs(twilio: TwilioService, fallbackMs: number): number {
  const last = (
    twilio.client.httpClient as {
      lastResponse?: { statusCode?: number; headers?: Record<string, unknown> };
    }
  ).lastResponse;
  const seconds = Number(last?.statusCode === 429 ? last.headers?.["retry-after"] : Number.NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.max(1, seconds * 1000) : fallbackMs;
}

export interface DialJob {
  /** The job's execution public id: the intent key when the payload names no intent. */
  executionId: string;
  attempt: number;
  maxAttempts: number;
}

/**
 * The queue_outbound_call task: finds (or writes) the intent, then dials it. An intent written
 * here with `delay_seconds` waits that long from its first run.
 */
export async function placeOutboundCall(
  db: Db,
  twilio: TwilioService,
  payload: QueueOutboundCallPayload,
  job: DialJob,
  settings: DialSettings = defaultDialSettings,
): Promise<DialResult> {
  let callId = payload.call_id;
  if (!callId) {
    const delayMs = Math.round((payload.delay_seconds ?? 0) * 1000);
    const intent = await failOnBadInput(
      createCallIntent(db, {
        intentKey: payload.intent_key ?? executionIntentKey(job.executionId),
        toNumber: payload.to_number as string,
        fromNumber: payload.from_number,
        metadata: payload.call_metadata,
        scheduledFor: delayMs > 0 ? new Date(Date.now() + delayMs) : null,
        campaignPublicId: payload.campaign_id,
      }),
    );
    callId = intent.public_id;
  }
  return dialCall(
    db,
    twilio,
    {
      callId,
      webhookUrl: payload.webhook_url,
      statusCallbackUrl: payload.status_callback_url,
      lastAttempt: job.attempt >= job.maxAttempts,
    },
    settings,
  );
}
