/**
 * `cleanup_expired_exports` (hourly): enforces `EXPORT_RETENTION_HOURS`. An export past its
 * `expires_at` (a ready file, or a failed or cancelled run) loses its file from the
 * generated-files store and then its row, after which its cache key is unknown (404) and a new
 * request runs the export again. Until the cleanup reaches it, its download answers 410.
 *
 * Work goes in bounded batches, each one transaction holding its rows' locks (`skip locked`: a
 * row a request is resetting right now is left for the next run). Files go first, then rows, so
 * a failure part-way leaves rows whose files may be gone, which the next run finishes; deleting
 * a missing file is not an error.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { RecordingStore } from "../storage/recordingStore.ts";
import { exportStorageKey } from "./exportRecords.ts";

export interface CleanupExpiredExportsOptions {
  /** The generated-files store (`services.reporting.files`). */
  files: RecordingStore;
  /** Exports per batch (one transaction). Default 200. */
  batchSize?: number;
  /** Most batches per run, so one run stays short; the next run goes on. Default 50. */
  maxBatches?: number;
}

export const cleanupExpiredExportsDefaults = { batchSize: 200, maxBatches: 50 };

export interface CleanupExpiredExportsResult {
  deleted: number;
  /** True when the run stopped at `maxBatches` with expired exports left. */
  more: boolean;
}

export async function cleanupExpiredExports(
  db: Db,
  options: CleanupExpiredExportsOptions,
): Promise<CleanupExpiredExportsResult> {
  const { batchSize, maxBatches } = { ...cleanupExpiredExportsDefaults, ...options };
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isInteger(maxBatches) || maxBatches < 1) {
    throw new RangeError(`maxBatches must be a positive integer, got ${maxBatches}`);
  }
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const count = await db.transaction().execute(async (trx) => {
      const expired = await trx
        .selectFrom("exports")
        .select(["id", "public_id", "created_at", "format"])
        .where("expires_at", "<=", sql<Date>`now()`)
        .orderBy("expires_at")
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      for (const row of expired) await options.files.delete(exportStorageKey(row));
      if (expired.length > 0) {
        await trx
          .deleteFrom("exports")
          .where(
            "id",
            "in",
            expired.map((row) => row.id),
          )
          .execute();
      }
      return expired.length;
    });
    deleted += count;
    if (count < batchSize) return { deleted, more: false };
  }
  return { deleted, more: true };
}
