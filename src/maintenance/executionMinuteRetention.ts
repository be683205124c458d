/**
 * The per-minute execution rollups (`execution_minutes`) are kept `executionMinuteDays` (90)
 * days: enough for the trends and health windows that read them. The cumulative totals behind
 * the `/metrics` counters are never deleted, so the counters never go down.
 *
 * Deletes in batches of whole rows, oldest minutes first (the primary key starts with the
 * minute), each batch its own statement and short transaction.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { retentionCutoff } from "./batchedDeletion.ts";
import { retentionBatchSizeDefault } from "./retentionSettings.ts";

export const executionMinuteDays = 90;

export interface ExecutionMinuteRetentionOptions {
  /** Days a minute's rollup rows are kept. Default `executionMinuteDays`. */
  days?: number;
  /** Rows per batch. Default 5,000. */
  batchSize?: number;
  /** The clock the age is measured from. Default: the database's `now()`. */
  now?: Date;
  /** Checked before each batch; when aborted, the run throws its reason. */
  signal?: AbortSignal;
}

/** Returns how many rollup rows it deleted. */
export async function deleteOldExecutionMinutes(
  db: Db,
  options: ExecutionMinuteRetentionOptions = {},
): Promise<number> {
  const {
    days = executionMinuteDays,
    batchSize = retentionBatchSizeDefault,
    now,
    signal,
  } = options;
  const cutoff = await retentionCutoff(db, "execution minutes retention days", days, now);
  let deleted = 0;
  for (;;) {
    signal?.throwIfAborted();
    const { rows } = await sql<{ deleted: number }>`
      with gone as (
        delete from execution_minutes m
        where (m.minute, m.lane, m.task_name, m.status, m.bucket) in (
          select minute, lane, task_name, status, bucket from execution_minutes
          where minute < ${cutoff}
          order by minute
          limit ${batchSize}
          for update skip locked
        )
        returning 1
      )
      select count(*)::int as deleted from gone`.execute(db);
    const batch = rows[0]?.deleted ?? 0;
    deleted += batch;
    if (batch < batchSize) return deleted;
  }
}
