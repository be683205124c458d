/**
 * `transcribe_pending_recordings` (every 10 minutes, when transcription is enabled): enqueues
 * `transcribe_recording`, keyed `transcript:<id>:<language>`, for stored recordings that have
 * no transcript in `language` yet, or only a pending one (its job was lost). Recordings already
 * deleted from Twilio are skipped (Voice Intelligence reads them there), and so are failed
 * transcripts (Twilio could not transcribe it; enqueue `transcribe_recording` to try again).
 */
import type { Db } from "../database/pool.ts";
import { enqueue } from "../engine/enqueue.ts";
import type { AnyTask } from "../engine/task.ts";
import { defaultTranscriptLanguage, transcriptJobKey } from "./jobKeys.ts";

export interface SweepTranscriptsOptions {
  /** The `transcribe_recording` task. */
  transcribeTask: AnyTask;
  /** `services.recordings.enableTranscription`: when false, the sweep does nothing. */
  enabled: boolean;
  parentId?: string;
  /** Default `en-US`. */
  language?: string;
  /** Most recordings enqueued per sweep, oldest first. Default 500. */
  limit?: number;
}

export interface SweepTranscriptsResult {
  enabled: boolean;
  executions: string[];
}

export async function sweepPendingTranscripts(
  db: Db,
  options: SweepTranscriptsOptions,
): Promise<SweepTranscriptsResult> {
  if (!options.enabled) return { enabled: false, executions: [] };
  const language = options.language ?? defaultTranscriptLanguage;
  const rows = await db
    .selectFrom("recordings as r")
    .leftJoin("transcripts as t", (join) =>
      join.onRef("t.recording_id", "=", "r.id").on("t.language", "=", language),
    )
    .select("r.id")
    .where("r.status", "=", "stored")
    .where("r.deleted_from_twilio_at", "is", null)
    .where((eb) => eb.or([eb("t.id", "is", null), eb("t.status", "=", "pending")]))
    .orderBy("r.stored_at")
    .orderBy("r.id")
    .limit(options.limit ?? 500)
    .execute();

  const executions: string[] = [];
  for (const { id } of rows) {
    executions.push(
      await enqueue(
        db,
        options.transcribeTask,
        { recording_id: id, language },
        {
          jobKey: transcriptJobKey(id, language),
          ...(options.parentId ? { parentId: options.parentId } : {}),
        },
      ),
    );
  }
  return { enabled: true, executions };
}
