/**
 * Twilio webhooks are logged as received (form parameters verbatim) and processed by the
 * `process_webhook_callback` task, so the HTTP response returns fast and a failure can be
 * retried from the log.
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Database, WebhookLog, WebhookLogTable } from "../database/schema.ts";

export type WebhookKind = WebhookLogTable["kind"];

/** One key per distinct callback: a repeat of the same callback gets the same key. */
export function webhookDedupeKey(
  kind: WebhookKind,
  params: Record<string, string>,
  url = "",
): string {
  switch (kind) {
    case "call-status":
      return `call-status:${params.CallSid}:${params.SequenceNumber ?? ""}:${params.CallStatus}`;
    case "recording-status":
      return `recording-status:${params.RecordingSid}:${params.RecordingStatus}`;
    case "inbound-call":
    case "agent-leg":
      return `${kind}:${params.CallSid}`;
    case "call-queue-result":
      return `call-queue-result:${params.CallSid}:${params.QueueResult}`;
    case "agent-answer": {
      const agentId = URL.canParse(url) ? new URL(url).searchParams.get("agent_id") : null;
      return `agent-answer:${params.CallSid}:${agentId ?? ""}:${params.DequeingCallSid ?? ""}`;
    }
    default:
      return `transcription:${params.TranscriptSid ?? params.TranscriptionSid ?? ""}:${params.Status ?? params.TranscriptionStatus ?? ""}`;
  }
}

/**
 * Logs a verified webhook. A repeat of a callback already logged is recorded as a duplicate of
 * the first (already processed, so nothing runs it again); `duplicate_of` says which.
 */
export async function logWebhook(
  trx: Transaction<Database>,
  entry: { kind: WebhookKind; url: string; params: Record<string, string> },
): Promise<WebhookLog> {
  const dedupeKey = webhookDedupeKey(entry.kind, entry.params, entry.url);
  const first = await trx
    .selectFrom("webhook_logs")
    .select("id")
    .where("dedupe_key", "=", dedupeKey)
    .where("duplicate_of", "is", null)
    .orderBy("id")
    .executeTakeFirst();
  return trx
    .insertInto("webhook_logs")
    .values({
      kind: entry.kind,
      url: entry.url,
      params: JSON.stringify(entry.params),
      signature_valid: true,
      dedupe_key: dedupeKey,
      duplicate_of: first?.id ?? null,
      processed_at: first ? new Date() : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Logs a webhook that is applied as it arrives — Twilio waits for the TwiML that depends on it —
 * and applies it in the same transaction, marked processed. A repeat of one already logged is
 * logged as a duplicate and not applied again (`applied` undefined).
 */
export async function logAndApplyWebhook<T>(
  trx: Transaction<Database>,
  entry: { kind: WebhookKind; url: string; params: Record<string, string> },
  apply: () => Promise<T>,
): Promise<{ log: WebhookLog; applied: T | undefined }> {
  const log = await logWebhook(trx, entry);
  if (log.duplicate_of !== null) return { log, applied: undefined };
  const applied = await apply();
  await markWebhookProcessed(trx, log.id);
  return { log, applied };
}

export async function markWebhookProcessed(trx: Transaction<Database>, id: number) {
  await sql`update webhook_logs set processed_at = now(), attempts = attempts + 1, last_error = null
            where id = ${id}`.execute(trx);
}

export async function markWebhookFailed(db: Db, id: number, error: unknown) {
  await sql`update webhook_logs set attempts = attempts + 1,
            last_error = ${error instanceof Error ? error.message : String(error)}
            where id = ${id}`.execute(db);
}

/** Logged webhooks not processed after `olderThanMs`, with attempts left. */
export async function webhookListFailed(
  db: Db,
  olderThanMs: number,
  maxAttempts: number,
  limit = 500,
) {
  return db
    .selectFrom("webhook_logs")
    .select(["id", "kind", "attempts"])
    .where("processed_at", "is", null)
    .where("signature_valid", "=", true)
    .where("attempts", "<", maxAttempts)
    .where("received_at", "<", new Date(Date.now() - olderThanMs))
    .orderBy("received_at")
    .limit(limit)
    .execute();
}
