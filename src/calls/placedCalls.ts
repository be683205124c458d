/**
 * Reconciling a dial request whose answer was lost: the call may exist on Twilio although we
 * hold no sid for it. Before dialing again, the dial job looks for the call an earlier request
 * placed and adopts it (records its sid on the intent), so an intent is never dialed twice.
 */
import { sql } from "kysely";
import type { CallInstance } from "twilio/lib/rest/api/v2010/account/call.js";
import type { TwilioService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import { PermanentError } from "../engine/errors.ts";
import { CircuitOpenError } from "../engine/limits/circuitBreaker.ts";
import { twilioRequest } from "../twilio/circuitBreaker.ts";
import { twilioFailureOf } from "../twilio/errors.ts";
import { isFinalCallStatus } from "./callStatus.ts";
import { onCampaignCallFinished } from "./campaignSlots.ts";
import { applyFetchedCallStatus, endCallLocally, type FetchedCall } from "./fetchedStatus.ts";

/** The intent being reconciled: its row id, public id, number and first dial request. */
export interface DialedIntent {
  id: number;
  public_id: string;
  to_number: string;
  dialed_at: Date | null;
}

/**
 * The call an earlier, unanswered request created, if Twilio has one: same To and From,
 * created since the first dial request (less `marginMs` for clock skew), and not the call of
 * another intent. Queued calls have no start time yet, so they are listed on their own.
 */
export async function findPlacedCall(
  db: Db,
  twilio: TwilioService,
  call: Pick<DialedIntent, "id" | "to_number" | "dialed_at">,
  from: string,
  marginMs: number,
): Promise<CallInstance | undefined> {
  const since = new Date((call.dialed_at?.getTime() ?? Date.now()) - marginMs);
  const filters = { to: call.to_number, from };
  // One request through the breaker, so a half-open breaker's single probe covers the lookup.
  const [started, queued] = await twilioRequest(db, twilio, async (client) => [
    await client.calls.list({ ...filters, startTimeAfter: since, limit: 50 }),
    await client.calls.list({ ...filters, status: "queued", limit: 50 }),
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

/**
 * On the last attempt, after a dial request failed ambiguously (`error`): adopts the call if
 * Twilio has it (its sid and the intent's status afterwards), else ends the intent as failed
 * and throws a `PermanentError`. While Twilio's circuit breaker is open the lookup cannot be
 * made, and its `CircuitOpenError` is thrown as it is.
 */
export async function adoptOrGiveUp(
  db: Db,
  twilio: TwilioService,
  call: DialedIntent & { dialed_at: Date },
  from: string,
  error: unknown,
  marginMs: number,
): Promise<{ sid: string; status: string }> {
  const { message } = twilioFailureOf(error);
  let placed: FetchedCall | undefined;
  let lookup = "no call was found on Twilio";
  try {
    placed = await findPlacedCall(db, twilio, call, from, marginMs);
  } catch (lookupError) {
    // Twilio was not asked: the lookup waits for the breaker instead of giving up.
    if (lookupError instanceof CircuitOpenError) throw lookupError;
    lookup = `looking for the call on Twilio failed too (${twilioFailureOf(lookupError).message})`;
  }
  if (placed) return { sid: placed.sid, status: await attachSid(db, call.id, placed) };
  await endCallLocally(db, call.id, {
    status: "failed",
    errorMessage: `dialing failed on the last attempt (${message}); ${lookup}`,
  });
  throw new PermanentError(`call ${call.public_id}: dialing failed (${message}); ${lookup}`, {
    cause: error,
  });
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
