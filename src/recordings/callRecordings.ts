/** A call's recordings, oldest first, each with its completed transcripts' text. */
import type { Db } from "../database/pool.ts";
import type { Recording } from "../database/schema.ts";

export interface CallRecording {
  id: number;
  sid: string;
  status: Recording["status"];
  duration_seconds: number | null;
  size_bytes: number | null;
  created_at: Date;
  stored_at: Date | null;
  transcripts: { language: string; text: string }[];
}

/** The recordings of the call whose public id is `callPublicId`. */
export async function callRecordings(db: Db, callPublicId: string): Promise<CallRecording[]> {
  const recordings = await db
    .selectFrom("recordings")
    .innerJoin("calls", "calls.id", "recordings.call_id")
    .where("calls.public_id", "=", callPublicId)
    .select([
      "recordings.id",
      "recordings.sid",
      "recordings.status",
      "recordings.duration_seconds",
      "recordings.size_bytes",
      "recordings.created_at",
      "recordings.stored_at",
    ])
    .orderBy("recordings.created_at")
    .orderBy("recordings.id")
    .execute();
  if (recordings.length === 0) return [];
  const transcripts = await db
    .selectFrom("transcripts")
    .select(["recording_id", "language", "text"])
    .where(
      "recording_id",
      "in",
      recordings.map((recording) => recording.id),
    )
    .where("status", "=", "completed")
    .orderBy("language")
    .execute();
  return recordings.map((recording) => ({
    ...recording,
    transcripts: transcripts
      .filter((transcript) => transcript.recording_id === recording.id && transcript.text)
      .map((transcript) => ({ language: transcript.language, text: transcript.text ?? "" })),
  }));
}
