/**
 * `archive_old_recordings` (daily, 00:30): enforces `RECORDING_RETENTION_DAYS`.
 *
 * What "archived" means here: the recording's audio has left hot storage. Once a recording has
 * been stored for longer than `retentionDays`, its encrypted file is deleted from the recording
 * store and the row becomes `archived` (with `archived_at`). The row itself is the archive: sid,
 * call, duration, size and SHA-256 of the audio, and its transcripts all stay, so reports and
 * audits keep working; `GET /api/recordings/{id}/media` answers 410 Gone for it. The Twilio copy
 * is not touched: that is `RECORDING_DELETE_FROM_TWILIO`'s business.
 *
 * Each recording is archived in its own transaction holding its row lock (`skip locked`: a
 * recording being worked on is left for the next run). The file goes first, then the row, so a
 * crash in between leaves a `stored` row whose file is gone, which the next run finishes.
 */
import type { Db } from "../database/pool.ts";
import type { RecordingStore } from "../storage/recordingStore.ts";

export interface ArchiveRecordingsOptions {
  store: RecordingStore;
  retentionDays: number;
  /** Most recordings archived per run, oldest first. Default 1000. */
  limit?: number;
  /** Default: now. */
  now?: Date;
}

export interface ArchiveRecordingsResult {
  archived: number;
  /** Stored before this instant: archived. */
  cutoff: string;
}

export async function archiveOldRecordings(
  db: Db,
  options: ArchiveRecordingsOptions,
): Promise<ArchiveRecordingsResult> {
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
    throw new RangeError(`retentionDays must be a positive integer, got ${options.retentionDays}`);
  }
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.retentionDays * 86_400_000);
  const candidates = await db
    .selectFrom("recordings")
    .select("id")
    .where("status", "=", "stored")
    .where("stored_at", "<", cutoff)
    .orderBy("stored_at")
    .limit(options.limit ?? 1000)
    .execute();

  let archived = 0;
  for (const { id } of candidates) {
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom("recordings")
        .select(["id", "storage_key"])
        .where("id", "=", id)
        .where("status", "=", "stored")
        .where("stored_at", "<", cutoff)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return false;
      if (row.storage_key) await options.store.delete(row.storage_key);
      await trx
        .updateTable("recordings")
        .set({ status: "archived", archived_at: now })
        .where("id", "=", id)
        .execute();
      return true;
    });
    if (done) archived += 1;
  }
  return { archived, cutoff: cutoff.toISOString() };
}
