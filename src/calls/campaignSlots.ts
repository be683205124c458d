/**
 * A campaign's concurrency: each call holds one of the campaign's `max_concurrent_calls`
 * leases (src/engine/limits/concurrencyLease.ts) from just before it is dialed until Twilio
 * reports its final status, across every worker.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { releaseLease } from "../engine/limits/concurrencyLease.ts";

export const campaignLeaseKey = (campaignId: number) => `campaign:${campaignId}`;
export const callLeaseHolder = (callId: number) => `call:${callId}`;

/**
 * Called when a campaign call reaches its final status: frees its slot and, once every call of
 * the campaign is final, marks the campaign completed. Safe to call twice.
 */
export async function onCampaignCallFinished(db: Db, campaignId: number, callId: number) {
  await releaseLease(db, campaignLeaseKey(campaignId), callLeaseHolder(callId));
  // Callers end the call in the same transaction. Without this lock, two calls ending at once
  // would each count the other as still open, and the campaign would never complete; with it,
  // the second waits for the first to commit, and its count (a new statement) sees that call.
  await sql`select 1 from campaigns where id = ${campaignId} for update`.execute(db);
  await sql`
    update campaigns set status = 'completed', finished_at = now()
    where id = ${campaignId} and status = 'running'
      and (select count(*) from calls where campaign_id = ${campaignId}
             and status in ('completed', 'busy', 'no-answer', 'failed', 'canceled')) >= total_calls`.execute(
    db,
  );
}
