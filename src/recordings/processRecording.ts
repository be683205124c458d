/**
 * `process_call_recording`: download a recording from Twilio into the encrypted recording store.
 *
 * 1. Claim the row (see claim.ts); a stored or archived recording is a no-op.
 * 2. Fetch the recording resource through the SDK and stream its WAV audio straight into
 *    `store.put` (encrypted as it flows, never held whole); a failed download stores nothing.
 * 3. In one transaction: mark the row `stored` (key, plaintext size and SHA-256, duration,
 *    `encrypted`, `stored_at`) and call `onStored` (the task enqueues `transcribe_recording`
 *    there, so the follow-up exists if and only if the row says stored).
 * 4. Then, with `deleteFromTwilio` (and transcription off), delete the Twilio copy.
 * Any failure after the claim puts the row in `failed` with the reason and rethrows, so the
 * job is retried (or, for a `PermanentError`, ends dead).
 */
import type { Transaction } from "kysely";
import type { CallCenterTaskContext } from "../callCenter/task.ts";
import type { Database, Recording } from "../database/schema.ts";
import { recordingKeyFor } from "../storage/recordingKey.ts";
import { claimRecording, releaseFailedClaim } from "./claim.ts";
import { deleteRecordingFromTwilio, deletesAfterStoring } from "./twilioCopy.ts";
import { downloadRecordingMedia, fetchTwilioRecording } from "./twilioMedia.ts";

/** What processing needs of its task's context. */
export type ProcessRecordingContext = Pick<
  CallCenterTaskContext,
  "db" | "services" | "signal" | "executionId" | "logger"
>;

export interface ProcessRecordingOptions {
  /** Runs in the transaction that marks the recording stored, when transcription is enabled. */
  onStored?: (trx: Transaction<Database>, recording: Recording) => Promise<unknown>;
}

export interface ProcessRecordingResult {
  recording_id: number;
  sid?: string;
  /**
   * `stored`: downloaded now; `already_stored`/`archived`: nothing to do; `busy`: another job is
   * processing it; `not_found`: no such row.
   */
  outcome: "stored" | "already_stored" | "archived" | "busy" | "not_found";
  size_bytes?: number;
  sha256?: string;
  deleted_from_twilio?: boolean;
}

export async function processRecording(
  ctx: ProcessRecordingContext,
  recordingId: number,
  options: ProcessRecordingOptions = {},
): Promise<ProcessRecordingResult> {
  const claim = await claimRecording(ctx.db, recordingId, ctx.executionId);
  if (claim.kind === "not_found" || claim.kind === "busy") {
    return { recording_id: recordingId, outcome: claim.kind };
  }
  if (claim.kind === "done") {
    const { recording } = claim;
    const deleted =
      recording.status === "stored" &&
      deletesAfterStoring(ctx.services) &&
      (await deleteRecordingFromTwilio(ctx.db, ctx.services, recording));
    return {
      recording_id: recordingId,
      sid: recording.sid,
      outcome: recording.status === "archived" ? "archived" : "already_stored",
      ...(deleted ? { deleted_from_twilio: true } : {}),
    };
  }

  let stored: Recording;
  try {
    stored = await download(ctx, claim.recording, options);
  } catch (error) {
    await releaseFailedClaim(ctx.db, recordingId, error);
    throw error;
  }
  const deleted =
    deletesAfterStoring(ctx.services) &&
    (await deleteRecordingFromTwilio(ctx.db, ctx.services, stored));
  return {
    recording_id: recordingId,
    sid: stored.sid,
    outcome: "stored",
    size_bytes: stored.size_bytes ?? 0,
    sha256: stored.sha256 ?? "",
    deleted_from_twilio: deleted,
  };
}

async function download(
  ctx: ProcessRecordingContext,
  recording: Recording,
  options: ProcessRecordingOptions,
): Promise<Recording> {
  const { twilio, recordings } = ctx.services;
  const remote = await fetchTwilioRecording(twilio, recording.sid);
  const media = await downloadRecordingMedia(twilio, remote, ctx.signal);
  // Dated by the recording itself, so every retry writes (and replaces) the same key.
  const key = recordingKeyFor(recording.sid, remote.recordedAt ?? recording.created_at);
  const put = await recordings.store.put(key, media.stream);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("recordings")
      .set({
        status: "stored",
        storage_key: put.key,
        size_bytes: put.bytes,
        sha256: put.sha256,
        duration_seconds: remote.durationSeconds ?? recording.duration_seconds,
        encrypted: true,
        stored_at: new Date(),
        error_message: null,
      })
      .where("id", "=", recording.id)
      .where("status", "=", "processing")
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new Error(`recording ${recording.sid} was no longer claimed when stored`);
    if (recordings.enableTranscription) await options.onStored?.(trx, row);
    return row;
  });
}

export interface ProcessCallRecordingsResult {
  call_id: number;
  recordings: ProcessRecordingResult[];
}

/**
 * Seed 000's form, `process_call_recording(call_id=…)`: processes every recording of the call
 * not stored yet, one after the other. If any failed, throws after trying them all (the stored
 * ones are no-ops when the job is retried).
 */
export async function processCallRecordings(
  ctx: ProcessRecordingContext,
  callId: number,
  options: ProcessRecordingOptions = {},
): Promise<ProcessCallRecordingsResult> {
  const rows = await ctx.db
    .selectFrom("recordings")
    .select("id")
    .where("call_id", "=", callId)
    .where("status", "in", ["pending", "failed", "processing"])
    .orderBy("id")
    .execute();
  const results: ProcessRecordingResult[] = [];
  const failures: unknown[] = [];
  for (const { id } of rows) {
    try {
      results.push(await processRecording(ctx, id, options));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(
      failures,
      `${failures.length} of ${rows.length} recordings of call ${callId} failed`,
    );
  }
  return { call_id: callId, recordings: results };
}
