/**
 * Campaigns: many outbound calls from one request (seed 001's `queue_bulk_calls`), each dialed by
 * its own queue_outbound_call job, at most `max_concurrent_calls` at once (campaign leases, see
 * campaignSlots.ts and dialing.ts) and started `delay_between_calls` apart.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Campaign } from "../database/schema.ts";
import { enqueueMany } from "../engine/enqueue.ts";
import type { AnyTask } from "../engine/task.ts";
import { executionIntentKey } from "./callIntents.ts";
import type { QueueBulkCallsPayload } from "./payloads.ts";

export interface CreatedCampaign {
  campaign_id: string;
  total_calls: number;
  /** False when an earlier run of the same request had already created it. */
  created: boolean;
  first_call_at: string;
  last_call_at: string;
}

export interface CampaignRequest {
  /** The new campaign's public id; a second request with the same id returns the first. */
  campaignId: string;
  /** Caller id when the payload names none (services.twilio.phoneNumber). */
  defaultFromNumber: string;
  /** Public id of the execution asking, recorded as the dial jobs' parent. */
  parentId?: string | undefined;
}

/**
 * Writes the campaign, one intent per number and one dial job (`dialTask`) per intent, staggered
 * by `delay_between_calls`, in ONE transaction: all of it or nothing. The numbers are validated
 * by the payload schema before anything is written.
 */
export async function createCampaign(
  db: Db,
  dialTask: AnyTask,
  payload: QueueBulkCallsPayload,
  request: CampaignRequest,
): Promise<CreatedCampaign> {
  const fromNumber = payload.from_number ?? request.defaultFromNumber;
  const delayMs = Math.round(payload.delay_between_calls * 1000);
  const total = payload.phone_numbers.length;
  return db.transaction().execute(async (trx) => {
    const campaign = await trx
      .insertInto("campaigns")
      .values({
        public_id: request.campaignId,
        name: payload.campaign_name ?? null,
        from_number: fromNumber,
        max_concurrent_calls: payload.max_concurrent_calls,
        delay_between_calls_ms: delayMs,
        total_calls: total,
        metadata: sql`${JSON.stringify(payload.call_metadata ?? {})}::jsonb`,
      })
      .onConflict((oc) => oc.column("public_id").doNothing())
      .returning(["id", "created_at"])
      .executeTakeFirst();
    if (!campaign) {
      const existing = await trx
        .selectFrom("campaigns")
        .select(["total_calls", "created_at", "delay_between_calls_ms"])
        .where("public_id", "=", request.campaignId)
        .executeTakeFirstOrThrow();
      const at = existing.created_at.getTime();
      return {
        campaign_id: request.campaignId,
        total_calls: existing.total_calls,
        created: false,
        first_call_at: new Date(at).toISOString(),
        last_call_at: new Date(
          at + (existing.total_calls - 1) * existing.delay_between_calls_ms,
        ).toISOString(),
      };
    }
    const start = Date.now();
    const callIds = payload.phone_numbers.map(() => randomUUID());
    const runAts = payload.phone_numbers.map((_, index) => new Date(start + index * delayMs));
    const taskIds = await enqueueMany(
      trx,
      payload.phone_numbers.map((to, index) => ({
        task: dialTask,
        payload: {
          to_number: to,
          from_number: fromNumber,
          ...(payload.call_metadata ? { call_metadata: payload.call_metadata } : {}),
          ...(payload.webhook_url ? { webhook_url: payload.webhook_url } : {}),
          ...(payload.status_callback_url
            ? { status_callback_url: payload.status_callback_url }
            : {}),
          campaign_id: request.campaignId,
          call_id: callIds[index],
        },
        options: {
          ...(index > 0 && delayMs > 0 ? { runAt: runAts[index] } : {}),
          ...(request.parentId ? { parentId: request.parentId } : {}),
        },
      })),
    );
    // One statement for every intent, however long the list.
    const rows = payload.phone_numbers.map((to, index) => ({
      public_id: callIds[index],
      intent_key: executionIntentKey(taskIds[index] as string),
      to_number: to,
      scheduled_for: index > 0 && delayMs > 0 ? runAts[index]?.toISOString() : null,
    }));
    await sql`
      insert into calls (public_id, intent_key, direction, from_number, to_number, campaign_id,
                         metadata, scheduled_for)
      select x.public_id, x.intent_key, 'outbound-api', ${fromNumber}, x.to_number, ${campaign.id},
             ${JSON.stringify(payload.call_metadata ?? {})}::jsonb, x.scheduled_for
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(public_id uuid, intent_key text, to_number text, scheduled_for timestamptz)`.execute(
      trx,
    );
    return {
      campaign_id: request.campaignId,
      total_calls: total,
      created: true,
      first_call_at: new Date(start).toISOString(),
      last_call_at: (runAts.at(-1) as Date).toISOString(),
    };
  });
}

export interface CampaignProgress {
  total: number;
  /** Not dialed yet. */
  queued: number;
  /** Placed on Twilio (has a sid). */
  dialed: number;
  /** Placed and not yet final. */
  in_progress: number;
  completed: number;
  /** Ended busy, no-answer, failed or canceled (including calls never placed). */
  failed: number;
}

export async function campaignGetByPublicId(
  db: Db,
  publicId: string,
): Promise<Campaign | undefined> {
  return db
    .selectFrom("campaigns")
    .selectAll()
    .where("public_id", "=", publicId)
    .executeTakeFirst();
}

export async function campaignProgress(db: Db, campaign: Campaign): Promise<CampaignProgress> {
  const { rows } = await sql<Omit<CampaignProgress, "total">>`
    select
      count(*) filter (where sid is null and status_rank < 4)::int as queued,
      count(*) filter (where sid is not null)::int as dialed,
      count(*) filter (where sid is not null and status_rank < 4)::int as in_progress,
      count(*) filter (where status = 'completed')::int as completed,
      count(*) filter (where status in ('busy', 'no-answer', 'failed', 'canceled'))::int as failed
    from calls where campaign_id = ${campaign.id}`.execute(db);
  const counts = rows[0] ?? { queued: 0, dialed: 0, in_progress: 0, completed: 0, failed: 0 };
  return { total: campaign.total_calls, ...counts };
}
