/**
 * Deletes a table's rows older than a cutoff in bounded batches, oldest first, the way every
 * retention service here does it. Each batch is one statement, so one short transaction of its
 * own: it locks at most `batchSize` rows (`skip locked`: a row something else holds right now is
 * left for the next run) and never the table. Batches walk a keyset, (time, id) after the last
 * row of the batch before, over an index that starts with the time column, so a batch reads
 * only the rows it deletes: not the dead entries earlier batches left behind, nor the table.
 *
 * The walk stops when a batch comes back short. Between batches it checks the signal (a
 * cancelled job, a soft time limit, a shutdown) and throws its reason; what committed stays
 * deleted, and the next run goes on from the oldest row left.
 *
 * @example
 * const result = await deleteInBatches(db, auditLogRetentionTable, {
 *   cutoff: new Date(Date.now() - 365 * 86_400_000),
 *   onProgress: (progress) => logger.info(progress, "audit log retention"),
 * });
 */
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { retentionBatchSizeDefault } from "./retentionSettings.ts";

/** A table retention deletes from, and how. */
export interface RetentionTable {
  table: "executions" | "audit_log" | "webhook_logs" | "call_events";
  /** The row's age; an index on (this column[, id]) must exist. */
  timeColumn: string;
  /** Rows kept whatever their age are those that fail this condition (e.g. live executions). */
  onlyWhere?: RawBuilder<unknown>;
  /**
   * Rows of other tables changed with each batch, in its statement, each counted under its
   * name: a data-modifying statement that reads the batch's ids from `batch` (`batch.id`) and
   * returns one row per row it changes.
   */
  related?: Record<string, RawBuilder<unknown>>;
}

export interface BatchedDeletionOptions {
  /** Rows whose time is before this instant go; a row exactly at it stays. */
  cutoff: Date;
  /** Rows per batch (one statement each). Default 5,000. */
  batchSize?: number;
  /** Checked before each batch; when aborted, the run throws its reason. */
  signal?: AbortSignal;
  /** Called after each batch commits, with the totals so far. */
  onProgress?: (progress: DeletionProgress) => void;
}

export interface DeletionProgress {
  table: string;
  deleted: number;
  batches: number;
  /** How far the walk is through the time from the oldest row to the cutoff, 0 to 1. */
  fraction: number;
}

export interface DeletionResult {
  table: string;
  cutoff: Date;
  deleted: number;
  /** Statements run, the last one short (possibly empty). */
  batches: number;
  /** The most rows one batch deleted: never above the batch size. */
  largestBatch: number;
  /** Rows of other tables changed with the batches, by the names of `RetentionTable.related`. */
  related: Record<string, number>;
}

interface BatchRow {
  selected: number;
  deleted: number;
  /** Seconds since the epoch of the batch's oldest row and of its newest (for progress). */
  first_epoch: number | null;
  last_epoch: number | null;
  /** The newest row's time as PostgreSQL writes it: the next batch starts after it, to the microsecond. */
  last_at: string | null;
  last_id: number | null;
  [related: string]: number | string | null;
}

interface Key {
  at: string;
  id: number;
}

export async function deleteInBatches(
  db: Db,
  target: RetentionTable,
  options: BatchedDeletionOptions,
): Promise<DeletionResult> {
  const { cutoff, batchSize = retentionBatchSizeDefault, signal } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize: expected a whole number ≥ 1, got ${batchSize}`);
  }
  if (Number.isNaN(cutoff.getTime())) throw new RangeError("cutoff: expected a valid date");
  const relatedNames = Object.keys(target.related ?? {});
  const result: DeletionResult = {
    table: target.table,
    cutoff,
    deleted: 0,
    batches: 0,
    largestBatch: 0,
    related: Object.fromEntries(relatedNames.map((name) => [name, 0])),
  };
  let after: Key | null = null;
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const row = await deleteBatch(db, target, cutoff, after, batchSize);
    result.batches++;
    result.deleted += row.deleted;
    result.largestBatch = Math.max(result.largestBatch, row.deleted);
    for (const name of relatedNames) {
      result.related[name] = (result.related[name] ?? 0) + Number(row[name] ?? 0);
    }
    if (firstAt === null && row.first_epoch !== null) firstAt = row.first_epoch * 1000;
    if (row.last_at !== null && row.last_id !== null) after = { at: row.last_at, id: row.last_id };
    if (row.last_epoch !== null) lastAt = row.last_epoch * 1000;
    const done = row.selected < batchSize;
    options.onProgress?.({
      table: target.table,
      deleted: result.deleted,
      batches: result.batches,
      fraction: done ? 1 : walked(firstAt, lastAt, cutoff),
    });
    if (done) return result;
  }
}

/** One batch: one statement, selecting, locking and deleting up to `limit` rows. */
async function deleteBatch(
  db: Db,
  target: RetentionTable,
  cutoff: Date,
  after: Key | null,
  limit: number,
): Promise<BatchRow> {
  const table = sql.table(target.table);
  const time = sql.ref(target.timeColumn);
  const related = Object.entries(target.related ?? {});
  const query = sql<BatchRow>`
    with batch as (
      select id, ${time} as at from ${table}
      where ${time} < ${cutoff}
        ${after ? sql`and (${time}, id) > (${after.at}::timestamptz, ${after.id}::bigint)` : sql``}
        ${target.onlyWhere ? sql`and ${target.onlyWhere}` : sql``}
      order by ${time}, id
      limit ${limit}
      for update skip locked
    ),
    ${sql.join(
      related.map(([name, statement]) => sql`${sql.id(name)} as (${statement}),`),
      sql``,
    )}
    gone as (delete from ${table} t using batch where t.id = batch.id returning t.id),
    last as (select at, id from batch order by at desc, id desc limit 1)
    select (select count(*) from batch)::int as selected,
           (select count(*) from gone)::int as deleted,
           ${sql.join(
             related.map(
               ([name]) => sql`(select count(*) from ${sql.id(name)})::int as ${sql.id(name)},`,
             ),
             sql``,
           )}
           (select extract(epoch from min(at))::float8 from batch) as first_epoch,
           (select extract(epoch from at)::float8 from last) as last_epoch,
           (select at::text from last) as last_at,
           (select id from last) as last_id`;
  const { rows } = await query.execute(db);
  return rows[0] as BatchRow;
}

function walked(firstAt: number | null, lastAt: number | null, cutoff: Date): number {
  if (firstAt === null || lastAt === null) return 0;
  const span = cutoff.getTime() - firstAt;
  if (span <= 0) return 1;
  return Math.min(1, Math.max(0, (lastAt - firstAt) / span));
}

/**
 * The instant `days` before `now` (default: the database's clock, the one that wrote the rows'
 * times), checking `days` under the name the caller gives it.
 */
export async function retentionCutoff(
  db: Db,
  field: string,
  days: number,
  now?: Date,
): Promise<Date> {
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`${field}: expected a number of days above 0, got ${days}`);
  }
  const from = now ?? (await sql<{ now: Date }>`select now() as now`.execute(db)).rows[0]?.now;
  if (!from) throw new Error("the database did not tell its time");
  return new Date(from.getTime() - days * 86_400_000);
}
