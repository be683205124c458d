/**
 * Applies one logged Twilio webhook, in one transaction with marking it processed:
 * - call-status: the call's state moves forward (src/calls/callStatus.ts); a campaign call that
 *   ends frees its campaign slot;
 * - recording-status: the recording row is created or updated; a completed recording is handed
 *   to `onRecordingCompleted` (which enqueues its processing in the same transaction);
 * - the call-queue kinds are applied when received, in the transaction that logs them, and are
 *   never left to process here.
 * Processing a log twice changes nothing the second time.
 */
import { sql, type Transaction } from "kysely";
import { applyCallStatusCallback, type CallStatusCallback } from "../calls/callStatus.ts";
import { onCampaignCallFinished } from "../calls/campaignSlots.ts";
import type { Db } from "../database/pool.ts";
import type { Database } from "../database/schema.ts";
import { PermanentError } from "../engine/errors.ts";
import { markWebhookProcessed } from "./webhookLog.ts";

export interface WebhookProcessingHooks {
  onRecordingCompleted(
    trx: Transaction<Database>,
    recording: { id: number; sid: string },
  ): Promise<void>;
}

export async function processWebhook(db: Db, webhookLogId: number, hooks: WebhookProcessingHooks) {
  return db.transaction().execute(async (trx) => {
    const log = await trx
      .selectFrom("webhook_logs")
      .selectAll()
      .where("id", "=", webhookLogId)
      .forUpdate()
      .executeTakeFirst();
    if (!log) throw new PermanentError(`no webhook log ${webhookLogId}`);
    if (!log.signature_valid)
      throw new PermanentError(`webhook log ${webhookLogId} has no valid signature`);
    if (log.processed_at) return { webhookLogId, outcome: "already_processed" as const };
    const params = log.params as Record<string, string>;
    let outcome: string;
    if (log.kind === "call-status") {
      const applied = await applyCallStatusCallback(trx, params as CallStatusCallback);
      if (applied.finished && applied.campaignId !== null) {
        await onCampaignCallFinished(trx, applied.campaignId, applied.callId);
      }
      outcome = applied.advanced
        ? `call ${applied.status}`
        : applied.recorded
          ? "call unchanged (late)"
          : "call unchanged (repeat)";
    } else if (log.kind === "recording-status") {
      outcome = await applyRecordingStatus(trx, params, hooks);
    } else if (log.kind !== "transcription") {
      // The call-queue webhooks are applied in the transaction that logs them (logAndApplyWebhook).
      throw new PermanentError(
        `webhook log ${webhookLogId} (${log.kind}) is applied when received`,
      );
    } else {
      outcome = "logged";
    }
    await markWebhookProcessed(trx, webhookLogId);
    return { webhookLogId, outcome };
  });
}

async function applyRecordingStatus(
  trx: Transaction<Database>,
  params: Record<string, string>,
  hooks: WebhookProcessingHooks,
): Promise<string> {
  const { RecordingSid: sid, CallSid: callSid, RecordingStatus: status } = params;
  if (!sid || !callSid)
    throw new PermanentError("recording callback without RecordingSid or CallSid");
  const duration = Number(params.RecordingDuration);
  const row = await sql<{ id: number; status: string; inserted: boolean }>`
    insert into recordings (sid, call_sid, call_id, media_url, duration_seconds, status)
    values (${sid}, ${callSid}, (select id from calls where sid = ${callSid}),
            ${params.RecordingUrl ?? null}, ${Number.isFinite(duration) ? duration : null},
            ${status === "failed" || status === "absent" ? "failed" : "pending"})
    on conflict (sid) do update set
      media_url = coalesce(excluded.media_url, recordings.media_url),
      duration_seconds = coalesce(excluded.duration_seconds, recordings.duration_seconds)
    returning id, status, (xmax = 0) as inserted`.execute(trx);
  const recording = row.rows[0] as { id: number; status: string; inserted: boolean };
  if (status === "completed" && recording.status === "pending") {
    await hooks.onRecordingCompleted(trx, { id: recording.id, sid });
    return "recording completed; processing enqueued";
  }
  return `recording ${status}`;
}
