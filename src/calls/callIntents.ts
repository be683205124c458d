/**
 * A call intent is the `calls` row written BEFORE anything is dialed: status `queued`, no sid,
 * and a unique `intent_key`. The dial job (src/calls/dialing.ts) finds it by its public id, so
 * however often the job runs, one intent is at most one call placed on Twilio.
 *
 * An empty `from_number` on a row not yet dialed means "the account's default caller id", which
 * only the worker knows (services.twilio.phoneNumber); it is filled in when the call is dialed.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Call } from "../database/schema.ts";
import { enqueue } from "../engine/enqueue.ts";
import { PermanentError } from "../engine/errors.ts";
import type { AnyTask } from "../engine/task.ts";

/** The caller's input names a thing that does not exist or is not usable; `path` names the field. */
export class CallInputError extends Error {
  override name = "CallInputError";
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

export interface CallIntent {
  intentKey: string;
  toNumber: string;
  /** Absent: the account's default, filled in when dialed. */
  fromNumber?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** The intent waits until then before it is dialed. */
  scheduledFor?: Date | null | undefined;
  /** A running campaign's public id: the call joins it (its `total_calls` grows by one). */
  campaignPublicId?: string | undefined;
  /** Chosen ahead when the caller must know it before the row exists (e.g. in a job payload). */
  publicId?: string | undefined;
}

export interface CallIntentRow {
  id: number;
  public_id: string;
  /** False when a row with this intent key already existed. */
  created: boolean;
}

/** Writes the intent, or returns the row already holding its key. Runs in one transaction. */
export async function createCallIntent(db: Db, intent: CallIntent): Promise<CallIntentRow> {
  const run = async (trx: Db): Promise<CallIntentRow> => {
    const existing = await findByIntentKey(trx, intent.intentKey);
    if (existing) return { ...existing, created: false };
    let campaignId: number | null = null;
    if (intent.campaignPublicId) {
      const campaign = await trx
        .updateTable("campaigns")
        .set({ total_calls: sql`total_calls + 1` })
        .where("public_id", "=", intent.campaignPublicId)
        .where("status", "=", "running")
        .returning("id")
        .executeTakeFirst();
      if (!campaign) {
        throw new CallInputError("campaign_id", `no running campaign ${intent.campaignPublicId}`);
      }
      campaignId = campaign.id;
    }
    const row = await trx
      .insertInto("calls")
      .values({
        ...(intent.publicId ? { public_id: intent.publicId } : {}),
        intent_key: intent.intentKey,
        direction: "outbound-api",
        from_number: intent.fromNumber ?? "",
        to_number: intent.toNumber,
        campaign_id: campaignId,
        metadata: sql`${JSON.stringify(intent.metadata ?? {})}::jsonb`,
        scheduled_for: intent.scheduledFor ?? null,
      })
      .onConflict((oc) => oc.column("intent_key").doNothing())
      .returning(["id", "public_id"])
      .executeTakeFirst();
    if (row) return { ...row, created: true };
    // A concurrent writer took the key first: its row is the intent.
    const raced = await findByIntentKey(trx, intent.intentKey);
    if (!raced) throw new Error(`call intent ${intent.intentKey} vanished`);
    return { ...raced, created: false };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

function findByIntentKey(db: Db, intentKey: string) {
  return db
    .selectFrom("calls")
    .select(["id", "public_id"])
    .where("intent_key", "=", intentKey)
    .executeTakeFirst();
}

export interface QueuedCall {
  /** The dial job's execution id. */
  task_id: string;
  /** The intent's public id. */
  call_id: string;
  scheduled_for: string | null;
}

/** What `enqueueCall` needs besides the intent: the dial payload's URLs. */
export interface CallToQueue {
  to_number: string;
  from_number?: string | undefined;
  call_metadata?: Record<string, unknown> | undefined;
  webhook_url?: string | undefined;
  status_callback_url?: string | undefined;
  campaign_id?: string | undefined;
  /** When to dial; default now. */
  runAt?: Date | undefined;
  /** Recorded on the intent's metadata (e.g. `{ retry_of: <call id> }`). */
  extraMetadata?: Record<string, unknown> | undefined;
  /** Public id of the execution that asks for the call. */
  parentId?: string | undefined;
  /** Dedupes the dial job while it waits: the same key returns the same intent. */
  jobKey?: string | undefined;
}

/**
 * Writes an intent and enqueues its dial job (`dialTask`, i.e. queue_outbound_call) in one
 * transaction; the intent key is the dial job's execution id. Pass a transaction to make it part
 * of more work.
 */
export async function enqueueCall(
  db: Db,
  dialTask: AnyTask,
  call: CallToQueue,
): Promise<QueuedCall> {
  const run = async (trx: Db): Promise<QueuedCall> => {
    const callId = randomUUID();
    const runAt = call.runAt && call.runAt.getTime() > Date.now() ? call.runAt : undefined;
    const taskId = await enqueue(
      trx,
      dialTask,
      {
        to_number: call.to_number,
        ...(call.from_number ? { from_number: call.from_number } : {}),
        ...(call.call_metadata ? { call_metadata: call.call_metadata } : {}),
        ...(call.webhook_url ? { webhook_url: call.webhook_url } : {}),
        ...(call.status_callback_url ? { status_callback_url: call.status_callback_url } : {}),
        ...(call.campaign_id ? { campaign_id: call.campaign_id } : {}),
        call_id: callId,
      },
      {
        ...(runAt ? { runAt } : {}),
        ...(call.parentId ? { parentId: call.parentId } : {}),
        ...(call.jobKey ? { jobKey: call.jobKey } : {}),
      },
    );
    // With a job key that is already live, `taskId` is the earlier job and this finds its intent.
    const intent = await createCallIntent(trx, {
      intentKey: executionIntentKey(taskId),
      publicId: callId,
      toNumber: call.to_number,
      fromNumber: call.from_number,
      metadata: { ...call.call_metadata, ...call.extraMetadata },
      scheduledFor: runAt ?? null,
      campaignPublicId: call.campaign_id,
    });
    return {
      task_id: taskId,
      call_id: intent.public_id,
      scheduled_for: runAt?.toISOString() ?? null,
    };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/** The intent key of a call asked for by one execution. */
export const executionIntentKey = (executionId: string) => `execution:${executionId}`;

export function callGetByPublicId(db: Db, publicId: string): Promise<Call | undefined> {
  return db.selectFrom("calls").selectAll().where("public_id", "=", publicId).executeTakeFirst();
}

export function callGetBySid(db: Db, sid: string): Promise<Call | undefined> {
  return db.selectFrom("calls").selectAll().where("sid", "=", sid).executeTakeFirst();
}

/** For tasks: bad input found while running is not worth a retry. */
export async function failOnBadInput<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof CallInputError) {
      throw new PermanentError(`${error.path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
