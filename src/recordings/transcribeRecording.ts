/**
 * `transcribe_recording`: a Voice Intelligence transcript of a stored recording, kept in
 * `transcripts` (one row per recording and language).
 *
 * The job never waits inside itself. Each run moves the transcript one step on and then either
 * ends or snoozes (`SnoozeError`: run again later without spending an attempt):
 * 1. In a transaction holding the transcript row's lock, create the Twilio transcript unless
 *    the row already has its `provider_sid`, and store that sid: a re-run (or a concurrent
 *    duplicate job) continues with that transcript rather than creating another.
 * 2. Fetch it. Queued or in progress: snooze, for a quarter of the time waited so far (1 s to
 *    60 s), giving up after `maxWaitMs`. Failed: the row ends `failed`, the job dead.
 * 3. Completed: read its sentences in order, join their text with spaces, and mark the row
 *    `completed`.
 * When the transcript ended (either way) and `deleteFromTwilio` is set, the recording's Twilio
 * copy is deleted, which processing left for this moment (see twilioCopy.ts).
 *
 * A transcript that `failed` is not retried by the sweep; enqueueing this task for it again
 * starts a new Twilio transcript.
 */
import type { Selectable } from "kysely";
import type { CallCenterTaskContext } from "../callCenter/task.ts";
import type { Db } from "../database/pool.ts";
import type { Recording, TranscriptTable } from "../database/schema.ts";
import { PermanentError, SnoozeError } from "../engine/errors.ts";
import { isTwilioNotFound } from "../twilio/errors.ts";
import { deleteRecordingFromTwilio } from "./twilioCopy.ts";

/** What transcription needs of its task's context. */
export type TranscribeContext = Pick<CallCenterTaskContext, "db" | "services">;

export interface TranscribeOptions {
  /** Give up on a transcript still not done after this long. Default 6 hours. */
  maxWaitMs?: number;
}

export interface TranscribeResult {
  recording_id: number;
  language: string;
  outcome: "completed" | "already_completed";
  provider_sid: string | null;
  characters: number;
  deleted_from_twilio?: boolean;
}

type Transcript = Selectable<TranscriptTable>;

const defaultMaxWaitMs = 6 * 60 * 60_000;

/** How long to snooze once a transcript has been waited on for `waitedMs`. */
export function transcriptPollDelayMs(waitedMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.round(waitedMs / 4)));
}

export async function transcribeRecording(
  ctx: TranscribeContext,
  input: { recordingId: number; language: string },
  options: TranscribeOptions = {},
): Promise<TranscribeResult> {
  const { db, services } = ctx;
  const recording = await db
    .selectFrom("recordings")
    .selectAll()
    .where("id", "=", input.recordingId)
    .executeTakeFirst();
  if (!recording) throw new PermanentError(`no recording ${input.recordingId}`);
  if (recording.status !== "stored" && recording.status !== "archived") {
    throw new Error(`recording ${recording.sid} is ${recording.status}, not stored yet`);
  }

  const transcript = await startTranscript(ctx, recording, input.language);
  const done = (outcome: TranscribeResult["outcome"], row: Transcript) =>
    finish(ctx, recording, {
      recording_id: recording.id,
      language: input.language,
      outcome,
      provider_sid: row.provider_sid,
      characters: row.text?.length ?? 0,
    });
  if (transcript.status === "completed") return done("already_completed", transcript);

  const providerSid = transcript.provider_sid as string;
  const remote = services.twilio.client.intelligence.v2.transcripts(providerSid);
  let status: string;
  try {
    status = (await remote.fetch()).status;
  } catch (error) {
    if (isTwilioNotFound(error)) {
      // Deleted on Twilio: forget it, so the retry starts a new one.
      await db
        .updateTable("transcripts")
        .set({ provider_sid: null })
        .where("id", "=", transcript.id)
        .where("status", "=", "pending")
        .execute();
    }
    throw error;
  }

  if (status === "queued" || status === "in-progress") {
    const waitedMs = Date.now() - transcript.created_at.getTime();
    if (waitedMs > (options.maxWaitMs ?? defaultMaxWaitMs)) {
      await failTranscript(
        db,
        transcript,
        `still ${status} after ${Math.round(waitedMs / 1000)} s`,
      );
      await finish(ctx, recording, undefined);
      throw new PermanentError(`transcript ${providerSid} is still ${status}; gave up waiting`);
    }
    throw new SnoozeError(
      transcriptPollDelayMs(waitedMs),
      `transcript ${providerSid} is ${status}`,
    );
  }
  if (status !== "completed") {
    await failTranscript(db, transcript, `Twilio transcript ${providerSid} ended ${status}`);
    await finish(ctx, recording, undefined);
    throw new PermanentError(`transcript ${providerSid} of recording ${recording.sid} ${status}`);
  }

  const sentences = await remote.sentences.list();
  const text = sentences
    .sort((a, b) => a.sentenceIndex - b.sentenceIndex)
    .map((sentence) => sentence.transcript.trim())
    .filter((sentence) => sentence.length > 0)
    .join(" ");
  const completed = await db
    .updateTable("transcripts")
    .set({ status: "completed", text, completed_at: new Date(), error_message: null })
    .where("id", "=", transcript.id)
    .where("status", "<>", "completed")
    .returningAll()
    .executeTakeFirst();
  return done(completed ? "completed" : "already_completed", completed ?? transcript);
}

/** The transcript row, with a Twilio transcript started for it unless it is completed. */
async function startTranscript(
  { db, services }: TranscribeContext,
  recording: Recording,
  language: string,
): Promise<Transcript> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto("transcripts")
      .values({ recording_id: recording.id, language })
      .onConflict((oc) => oc.columns(["recording_id", "language"]).doNothing())
      .execute();
    const row = await trx
      .selectFrom("transcripts")
      .selectAll()
      .where("recording_id", "=", recording.id)
      .where("language", "=", language)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.status === "completed" || (row.status === "pending" && row.provider_sid)) return row;

    if (recording.deleted_from_twilio_at) {
      throw new PermanentError(
        `recording ${recording.sid} was deleted from Twilio, which transcribes it from there`,
      );
    }
    const serviceSid = services.twilio.transcriptionServiceSid;
    if (!serviceSid) {
      throw new PermanentError("TWILIO_TRANSCRIPTION_SERVICE_SID is not set");
    }
    // The row stays locked until the sid is stored: a concurrent run waits, then continues.
    const created = await services.twilio.client.intelligence.v2.transcripts.create({
      serviceSid,
      channel: { media_properties: { source_sid: recording.sid } },
      customerKey: `recording-${recording.id}-${language}`,
    });
    return trx
      .updateTable("transcripts")
      .set({
        provider_sid: created.sid,
        status: "pending",
        text: null,
        error_message: null,
        completed_at: null,
        // Waiting is measured from this transcript's start.
        created_at: new Date(),
      })
      .where("id", "=", row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

async function failTranscript(db: Db, transcript: Transcript, message: string) {
  await db
    .updateTable("transcripts")
    .set({ status: "failed", error_message: message })
    .where("id", "=", transcript.id)
    .where("status", "=", "pending")
    .execute();
}

/** Deletes the Twilio copy that processing left for after the transcript, if configured. */
async function finish<T extends TranscribeResult | undefined>(
  { db, services }: TranscribeContext,
  recording: Recording,
  result: T,
): Promise<T> {
  if (!services.recordings.deleteFromTwilio || recording.deleted_from_twilio_at) return result;
  const deleted = await deleteRecordingFromTwilio(db, services, recording);
  return result && { ...result, deleted_from_twilio: deleted };
}
