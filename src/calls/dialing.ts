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
 *    lost connection, a crash): look for it on Twilio and adopt it instead of dialing
 *    (placedCalls.ts).
 * 4. Take a token of the account's calls-per-second bucket (`twilio.calls`, shared by every
 *    worker, at services.twilio.callsPerSecond) and, in the same transaction, record the
 *    request (`dialed_at`, `dial_attempts`); refused: snooze until the bucket refills.
 * 5. `calls.create`, through Twilio's circuit breaker (src/twilio/circuitBreaker.ts), its
 *    failures read by src/twilio/errors.ts:
 *    - success: record the sid;
 *    - rate limited (429 / 20429): definitely not created; snooze for Retry-After (no attempt
 *      spent);
 *    - refused (other 4xx: 21211 invalid number…): the intent fails for good (PermanentError);
 *    - anything else is ambiguous: fail the attempt, and the retry begins at step 3.
 *    While the breaker is open no request leaves: the job snoozes until a probe may go through.
 */
import { sql } from "kysely";
import type { CallInstance } from "twilio/lib/rest/api/v2010/account/call.js";
import type { TwilioService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import { PermanentError, type RateLimitedError, SnoozeError } from "../engine/errors.ts";
import { CircuitOpenError } from "../engine/limits/circuitBreaker.ts";
import { acquireLease, releaseLease } from "../engine/limits/concurrencyLease.ts";
import { takeRateLimitToken } from "../engine/limits/rateLimit.ts";
import { twilioRequest } from "../twilio/circuitBreaker.ts";
import { twilioFailureOf } from "../twilio/errors.ts";
import { isFinalCallStatus } from "./callStatus.ts";
import { callLeaseHolder, campaignLeaseKey } from "./campaignSlots.ts";
import { endCallLocally } from "./fetchedStatus.ts";
import { adoptOrGiveUp, attachSid, type DialedIntent, findPlacedCall } from "./placedCalls.ts";

/** The shared calls-per-second bucket of the Twilio account. */
const TWILIO_CALLS_RATE_LIMIT_KEY = "twilio.calls";

/** The call progress events every outbound call reports to its status callback. */
const STATUS_CALLBACK_EVENTS = ["initiated", "ringing", "answered", "completed"];

export interface DialSettings {
  /** How long a campaign call holds its slot; the final status callback frees it sooner. */
  leaseTtlMs: number;
  /** Base wait when every slot of the campaign is taken; jittered up to twice this. */
  leaseWaitMs: number;
  /** Reconciliation looks for calls created from this long before the first dial request. */
  reconcileMarginMs: number;
  /** Create requests sent for one intent before it is given up. */
  maxDialRequests: number;
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

/**
 * What a failed `calls.create` means for the intent: `not_sent` (rate limited, or held back by
 * the open circuit breaker), `rejected` for good, or `ambiguous` (it may have been created).
 */
type DialFailure = "not_sent" | "rejected" | "ambiguous";

function classifyDialFailure(error: unknown): DialFailure {
  if (error instanceof CircuitOpenError) return "not_sent";
  switch (twilioFailureOf(error).kind) {
    case "rate_limited":
      return "not_sent";
    case "rejected":
    case "not_found":
      return "rejected";
    default:
      return "ambiguous";
  }
}

interface IntentRow extends DialedIntent {
  sid: string | null;
  status: string;
  from_number: string;
  campaign_id: number | null;
  scheduled_for: Date | null;
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

  /** Waits, slot freed, for Twilio's breaker to let a request through; rethrows anything else. */
  const waitForBreaker = async (error: unknown): Promise<never> => {
    if (!(error instanceof CircuitOpenError)) throw error;
    await freeSlot();
    throw whileOpen(error);
  };

  if (call.dialed_at) {
    const placed = await findPlacedCall(db, twilio, call, from, settings.reconcileMarginMs).catch(
      waitForBreaker,
    );
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
    created = await twilioRequest(db, twilio, (client) =>
      client.calls.create({
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
      }),
    );
  } catch (error) {
    const failure = classifyDialFailure(error);
    const { code, message } = twilioFailureOf(error);
    if (failure === "not_sent") {
      // Definitely not created: forget this request, keep any earlier ambiguous one.
      const held = error instanceof CircuitOpenError;
      await db
        .updateTable("calls")
        .set({
          dialed_at: call.dialed_at,
          // A request the breaker held back never reached Twilio.
          ...(held ? { dial_attempts: call.dial_attempts } : {}),
        })
        .where("id", "=", call.id)
        .where("sid", "is", null)
        .execute();
      await freeSlot();
      if (error instanceof CircuitOpenError) throw whileOpen(error);
      throw new SnoozeError(
        (error as RateLimitedError).retryAfterMs,
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
      const dialed = { ...call, dialed_at: call.dialed_at ?? new Date() };
      const adopted = await adoptOrGiveUp(
        db,
        twilio,
        dialed,
        from,
        error,
        settings.reconcileMarginMs,
      ).catch(waitForBreaker);
      return result("adopted", adopted.sid, adopted.status);
    }
    throw new AmbiguousDialError(
      `the answer to the dial request was lost (${message}); the next attempt looks for the call on Twilio before dialing again`,
      { cause: error },
    );
  }
  const status = await attachSid(db, call.id, created);
  return result("dialed", created.sid, status);
}

/** Twilio's breaker is open: wait, without spending an attempt, until a probe may go through. */
function whileOpen(error: CircuitOpenError): SnoozeError {
  const snooze = new SnoozeError(
    error.retryAfterMs,
    `not dialing while Twilio's circuit breaker is open (${error.message})`,
  );
  snooze.cause = error;
  return snooze;
}
