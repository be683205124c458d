/**
 * Sending one SMS through Twilio's Messages API, never twice for one send key. The
 * `sms_messages` row (migrations/0022) is written before anything is sent; one run:
 *
 * 1. The row has a sid: done, nothing is sent (`already_sent`). A row Twilio refused stays
 *    refused (PermanentError).
 * 2. An earlier request's answer was lost (`requested_at` set, no sid): look for that message on
 *    Twilio (same To, From and Body, created since the first request, not another row's) and
 *    adopt it (`adopted`) instead of sending again.
 * 3. Record the request (committed before it leaves), then `messages.create` through Twilio's
 *    circuit breaker (circuitBreaker.ts), failures read by errors.ts:
 *    - rate limited (429 / 20429) or held back by the open breaker: not sent; snooze (no attempt
 *      spent);
 *    - refused (other 4xx: 21211 invalid number…): PermanentError naming the number;
 *    - anything else is ambiguous: the attempt fails, and the retry begins at step 2.
 *
 * Numbers are E.164, checked before anything is written (an error naming `to` or `from`). Logs
 * carry them masked (the logger masks every E.164 number).
 *
 * @example
 * const sms = await sendSms(db, services.twilio, { to: "+14155550100", body: "Hi" }, ctx);
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { MessageInstance } from "twilio/lib/rest/api/v2010/account/message.js";
import { z } from "zod";
import type { TwilioService } from "../callCenter/services.ts";
import { e164 } from "../calls/payloads.ts";
import type { Db } from "../database/pool.ts";
import type { SmsMessage } from "../database/schema.ts";
import { PermanentError, type RateLimitedError, SnoozeError } from "../engine/errors.ts";
import { CircuitOpenError } from "../engine/limits/circuitBreaker.ts";
import type { Logger } from "../observability/logger.ts";
import { twilioRequest } from "./circuitBreaker.ts";
import { twilioFailureOf } from "./errors.ts";

/** Twilio's limit on one message's body, in characters. */
export const SMS_MAX_CHARACTERS = 1600;

/** An earlier request is looked for among messages created this long before it (clock skew). */
const RECONCILE_MARGIN_MS = 15_000;

export const smsRequest = z.strictObject({
  to: e164("to"),
  body: z
    .string({ error: "body must be a string" })
    .min(1, "body must not be empty")
    .refine((body) => [...body].length <= SMS_MAX_CHARACTERS, {
      message: `body must be at most ${SMS_MAX_CHARACTERS} characters`,
    }),
  /** Default: the account's number (TWILIO_PHONE_NUMBER). */
  from: e164("from").optional(),
});
export type SmsRequest = z.input<typeof smsRequest>;

export interface SmsContext {
  /** One message per key, ever; default a new key (no retry protection). */
  sendKey?: string;
  logger?: Logger;
}

export interface SmsResult {
  sid: string;
  status: string;
  /** sent: by this run; adopted: found on Twilio after a lost answer; already_sent: earlier. */
  outcome: "sent" | "adopted" | "already_sent";
}

/** The send request's answer was lost: the message may or may not exist on Twilio. */
export class AmbiguousSmsError extends Error {
  override name = "AmbiguousSmsError";
}

/** The send key of the SMS an execution sends for `purpose` (e.g. a notification's channel). */
export const executionSendKey = (executionId: string, purpose: string) =>
  `execution:${executionId}:${purpose}`;

/** Sends `request` once per `ctx.sendKey`; see the steps at the top of this file. */
export async function sendSms(
  db: Db,
  twilio: TwilioService,
  request: SmsRequest,
  ctx: SmsContext = {},
): Promise<SmsResult> {
  const parsed = smsRequest.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PermanentError(`${issue?.path.join(".")}: ${issue?.message}`);
  }
  const { to, body } = parsed.data;
  const from = parsed.data.from ?? twilio.phoneNumber;
  const row = await recordIntent(db, ctx.sendKey ?? `sms:${randomUUID()}`, { to, from, body });
  const done = (sid: string, status: string, outcome: SmsResult["outcome"]): SmsResult => {
    ctx.logger?.info({ sid, to: row.to_number, outcome }, "SMS sent");
    return { sid, status, outcome };
  };
  if (row.sid) return { sid: row.sid, status: row.status, outcome: "already_sent" };
  if (row.status === "rejected") {
    throw new PermanentError(
      `Twilio refused the SMS to ${row.to_number} (${row.error_code ?? "no code"}): ${row.error_message}`,
    );
  }

  if (row.requested_at) {
    const found = await findSentMessage(db, twilio, row).catch(snoozeWhileOpen);
    if (found) return done(found.sid, await attachSid(db, row.id, found), "adopted");
  }

  await db
    .updateTable("sms_messages")
    .set({
      requested_at: sql`coalesce(requested_at, now())`,
      requests: sql`requests + 1`,
      updated_at: sql`now()`,
    })
    .where("id", "=", row.id)
    .execute();
  let created: MessageInstance;
  try {
    created = await twilioRequest(db, twilio, (client) =>
      client.messages.create({ to: row.to_number, from: row.from_number, body: row.body }),
    );
  } catch (error) {
    const { kind, code, message } = twilioFailureOf(error);
    if (error instanceof CircuitOpenError || kind === "rate_limited") {
      // Definitely not sent: forget this request, keep any earlier one whose answer was lost.
      await db
        .updateTable("sms_messages")
        .set({ requested_at: row.requested_at, requests: row.requests })
        .where("id", "=", row.id)
        .execute();
      if (error instanceof CircuitOpenError) snoozeWhileOpen(error);
      throw new SnoozeError(
        (error as RateLimitedError).retryAfterMs,
        `Twilio rate limited the SMS (${code ?? 429}); retrying after Retry-After`,
      );
    }
    if (kind === "rejected" || kind === "not_found") {
      await db
        .updateTable("sms_messages")
        .set({
          status: "rejected",
          error_code: code,
          error_message: message,
          updated_at: sql`now()`,
        })
        .where("id", "=", row.id)
        .execute();
      throw new PermanentError(
        `Twilio refused the SMS to ${row.to_number} (${code ?? "no code"}): ${message}`,
        { cause: error },
      );
    }
    throw new AmbiguousSmsError(
      `the answer to the SMS request was lost (${message}); the next attempt looks for the message on Twilio before sending again`,
      { cause: error },
    );
  }
  return done(created.sid, await attachSid(db, row.id, created), "sent");
}

/** Writes the row for `sendKey`, or returns the one already holding it. */
async function recordIntent(
  db: Db,
  sendKey: string,
  message: { to: string; from: string; body: string },
): Promise<SmsMessage> {
  await db
    .insertInto("sms_messages")
    .values({
      send_key: sendKey,
      to_number: message.to,
      from_number: message.from,
      body: message.body,
    })
    .onConflict((oc) => oc.column("send_key").doNothing())
    .execute();
  return db
    .selectFrom("sms_messages")
    .selectAll()
    .where("send_key", "=", sendKey)
    .executeTakeFirstOrThrow();
}

async function attachSid(db: Db, id: number, message: MessageInstance): Promise<string> {
  await db
    .updateTable("sms_messages")
    .set({ sid: message.sid, status: message.status, updated_at: sql`now()` })
    .where("id", "=", id)
    .execute();
  return message.status;
}

/**
 * The message an earlier, unanswered request created, if Twilio has it: same To, From and
 * Body, created since the first request (less a margin for clock skew), and no other row's.
 */
async function findSentMessage(
  db: Db,
  twilio: TwilioService,
  row: SmsMessage,
): Promise<MessageInstance | undefined> {
  const since = (row.requested_at?.getTime() ?? Date.now()) - RECONCILE_MARGIN_MS;
  const listed = await twilioRequest(db, twilio, (client) =>
    client.messages.list({ to: row.to_number, from: row.from_number, limit: 50 }),
  );
  const candidates = listed.filter(
    (message) =>
      message.to === row.to_number &&
      message.from === row.from_number &&
      message.body === row.body &&
      (message.dateCreated?.getTime() ?? since) >= since,
  );
  if (candidates.length === 0) return undefined;
  const taken = await db
    .selectFrom("sms_messages")
    .select("sid")
    .where(
      "sid",
      "in",
      candidates.map((message) => message.sid),
    )
    .execute();
  const takenSids = new Set(taken.map((taken) => taken.sid));
  return candidates
    .filter((message) => !takenSids.has(message.sid))
    .sort((a, b) => (a.dateCreated?.getTime() ?? 0) - (b.dateCreated?.getTime() ?? 0))[0];
}

/** Twilio's breaker is open: wait, without spending an attempt, until a probe may go through. */
function snoozeWhileOpen(error: unknown): never {
  if (!(error instanceof CircuitOpenError)) throw error;
  const snooze = new SnoozeError(
    error.retryAfterMs,
    `not sending SMS while Twilio's circuit breaker is open (${error.message})`,
  );
  snooze.cause = error;
  throw snooze;
}
