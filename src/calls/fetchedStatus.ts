/**
 * Applying a call's status as Twilio's REST API reports it (a fetch, a list, the answer to a
 * create or a hang-up) rather than as a status callback. Like callbacks, it only ever moves a
 * call forward by rank (src/calls/callStatus.ts); a campaign call that reaches a final status
 * this way gives its campaign slot back, exactly as its final callback would.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { callStatusRank } from "./callStatus.ts";
import { onCampaignCallFinished } from "./campaignSlots.ts";

/** The parts of the SDK's CallInstance this needs. */
export interface FetchedCall {
  sid: string;
  status: string;
  /** Seconds, as a string, once the call has ended. */
  duration?: string | null;
  answeredBy?: string | null;
}

export interface AppliedFetchedStatus {
  advanced: boolean;
  /** The row's status afterwards. */
  status: string;
  /** The call reached a final status with this update. */
  finished: boolean;
}

const FINAL_RANK = 4;

/** Moves call `callId` forward to `fetched.status` if that is news. Runs in one transaction. */
export async function applyFetchedCallStatus(
  db: Db,
  callId: number,
  fetched: FetchedCall,
): Promise<AppliedFetchedStatus> {
  const run = async (trx: Db): Promise<AppliedFetchedStatus> => {
    const rank = callStatusRank[fetched.status];
    const current = await trx
      .selectFrom("calls")
      .select(["status", "status_rank", "campaign_id"])
      .where("id", "=", callId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (rank === undefined || rank <= current.status_rank) {
      return { advanced: false, status: current.status, finished: false };
    }
    const final = rank === FINAL_RANK;
    const duration = Number(fetched.duration);
    await trx
      .updateTable("calls")
      .set({
        status: fetched.status,
        status_rank: rank,
        answered_at:
          fetched.status === "in-progress" ? sql`coalesce(answered_at, now())` : sql`answered_at`,
        ended_at: final ? sql`coalesce(ended_at, now())` : sql`ended_at`,
        duration_seconds:
          final && fetched.duration != null && Number.isFinite(duration)
            ? duration
            : sql`duration_seconds`,
        answered_by: fetched.answeredBy ?? sql`answered_by`,
        updated_at: sql`now()`,
      })
      .where("id", "=", callId)
      .execute();
    if (final && current.campaign_id !== null) {
      await onCampaignCallFinished(trx, current.campaign_id, callId);
    }
    return { advanced: true, status: fetched.status, finished: final };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * Ends a call here without asking Twilio — an intent never (knowingly) placed, or a call Twilio no
 * longer knows: `failed` (or `canceled`) with the reason, and its campaign slot given back.
 * Does nothing to a call already final; returns whether it ended it.
 */
export async function endCallLocally(
  db: Db,
  callId: number,
  outcome: { status: "failed" | "canceled"; errorCode?: number | null; errorMessage: string },
): Promise<boolean> {
  const run = async (trx: Db) => {
    const ended = await trx
      .updateTable("calls")
      .set({
        status: outcome.status,
        status_rank: FINAL_RANK,
        error_code: outcome.errorCode ?? null,
        error_message: outcome.errorMessage,
        ended_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where("id", "=", callId)
      .where("status_rank", "<", FINAL_RANK)
      .returning("campaign_id")
      .executeTakeFirst();
    if (ended?.campaign_id != null) await onCampaignCallFinished(trx, ended.campaign_id, callId);
    return ended !== undefined;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
