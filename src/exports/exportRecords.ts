/**
 * The `exports` table: one row per cache key (normalised filters + format). A request finds the
 * row of its key and reuses it while it is pending, running or ready and not expired; a failed,
 * cancelled or expired one — or, with `refresh`, a ready one — is reset for a new run. The job
 * that writes the file owns the row through `execution_id`: a job of an earlier run can no
 * longer touch it.
 *
 * These are writes to the main database (`ctx.db`, the API's db), never to the reporting replica.
 */
import { type ExpressionBuilder, sql, type Transaction } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Database, Export, ExportFormat, ExportStatus } from "../database/schema.ts";
import { liveStatuses, statusList } from "../engine/executionStatus.ts";
import type { NormalisedExportFilters } from "./filters.ts";

/** `exports/<yyyy>/<mm>/<public id>.<format>`, dated in UTC by when the row was created. */
export function exportStorageKey(row: Pick<Export, "public_id" | "created_at" | "format">): string {
  const year = row.created_at.getUTCFullYear();
  const month = String(row.created_at.getUTCMonth() + 1).padStart(2, "0");
  return `exports/${year}/${month}/${row.public_id}.${row.format}`;
}

export function exportGetByCacheKey(db: Db, cacheKey: string): Promise<Export | undefined> {
  return db.selectFrom("exports").selectAll().where("cache_key", "=", cacheKey).executeTakeFirst();
}

export interface ExportRequest {
  cacheKey: string;
  filters: NormalisedExportFilters;
  format: ExportFormat;
  requestedBy: string;
  /** Run again even when a fresh file is ready. */
  refresh?: boolean;
}

/**
 * The export of the request's key, and whether it needs a job: true for a new row or one reset
 * for a new run, false for one still pending, running or fresh. Run it in the transaction that
 * enqueues the job (and then `exportAssignExecution`).
 */
export async function exportRequest(
  trx: Transaction<Database>,
  request: ExportRequest,
): Promise<{ row: Export; needsJob: boolean }> {
  const reset = await trx
    .insertInto("exports")
    .values({
      cache_key: request.cacheKey,
      filters: JSON.stringify(request.filters),
      format: request.format,
      requested_by: request.requestedBy,
    })
    .onConflict((oc) =>
      oc
        .column("cache_key")
        .doUpdateSet({
          status: "pending",
          requested_by: request.requestedBy,
          execution_id: null,
          rows_done: 0,
          rows_estimated: null,
          started_at: null,
          finished_at: null,
          expires_at: null,
          error: null,
        })
        .where((eb) => rerunnable(eb, request.refresh === true)),
    )
    .returningAll()
    .executeTakeFirst();
  if (reset) return { row: reset, needsJob: true };
  const existing = await trx
    .selectFrom("exports")
    .selectAll()
    .where("cache_key", "=", request.cacheKey)
    .forShare()
    .executeTakeFirstOrThrow();
  return { row: existing, needsJob: false };
}

/**
 * An export that a new run may take over: failed, cancelled, expired, ready when a refresh is
 * asked, or pending/running for an execution that is no longer live (it ended without saying
 * how, e.g. a crash past its last attempt).
 */
function rerunnable(eb: ExpressionBuilder<Database, "exports">, refresh: boolean) {
  return eb.or([
    eb("exports.status", "in", ["failed", "cancelled"]),
    eb("exports.expires_at", "<=", sql<Date>`now()`),
    refresh ? eb("exports.status", "=", "ready") : eb.lit(false),
    eb.and([
      eb("exports.status", "in", ["pending", "running"]),
      sql<boolean>`not exists (select 1 from executions e
         where e.public_id = exports.execution_id
           and e.status in (${statusList(liveStatuses)}))`,
    ]),
  ]);
}

/** Records the execution whose job writes the export. */
export async function exportAssignExecution(
  trx: Transaction<Database>,
  id: number,
  executionId: string,
): Promise<void> {
  await trx
    .updateTable("exports")
    .set({ execution_id: executionId })
    .where("id", "=", id)
    .execute();
}

/**
 * The job `executionId` starts the export of `request`'s key, creating its row when no request
 * made one (the task enqueued directly). Undefined when another execution owns the row.
 */
export async function exportStart(
  db: Db,
  request: ExportRequest,
  executionId: string,
): Promise<Export | undefined> {
  return db
    .insertInto("exports")
    .values({
      cache_key: request.cacheKey,
      filters: JSON.stringify(request.filters),
      format: request.format,
      requested_by: request.requestedBy,
      status: "running",
      execution_id: executionId,
      started_at: sql<Date>`now()`,
    })
    .onConflict((oc) =>
      oc
        .column("cache_key")
        .doUpdateSet({
          status: "running",
          execution_id: executionId,
          rows_done: 0,
          rows_estimated: null,
          bytes: null,
          started_at: sql<Date>`now()`,
          finished_at: null,
          expires_at: null,
          error: null,
        })
        .where((eb) =>
          eb.or([
            eb("exports.execution_id", "is", null),
            eb("exports.execution_id", "=", executionId),
            rerunnable(eb, false),
          ]),
        ),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Progress of a running export; ignored unless `executionId` still owns the row. */
export async function exportSetProgress(
  db: Db,
  id: number,
  executionId: string,
  progress: { rowsDone: number; rowsEstimated?: number },
): Promise<void> {
  await db
    .updateTable("exports")
    .set({
      rows_done: progress.rowsDone,
      ...(progress.rowsEstimated === undefined ? {} : { rows_estimated: progress.rowsEstimated }),
    })
    .where("id", "=", id)
    .where("execution_id", "=", executionId)
    .where("status", "=", "running")
    .execute();
}

export interface ExportEnding {
  status: Extract<ExportStatus, "ready" | "failed" | "cancelled" | "pending">;
  rowsDone: number;
  storageKey?: string;
  bytes?: number;
  error?: string;
  /** The file (or the row, for a failed or cancelled one) expires this long after now. */
  retentionHours: number;
}

/**
 * How the run of `executionId` ended. `pending`: the attempt failed and the job will run again.
 * Returns false when the row belongs to another execution now.
 */
export async function exportFinish(
  db: Db,
  id: number,
  executionId: string,
  ending: ExportEnding,
): Promise<boolean> {
  const ended = ending.status !== "pending";
  const result = await db
    .updateTable("exports")
    .set({
      status: ending.status,
      rows_done: ending.rowsDone,
      storage_key: ending.storageKey ?? null,
      bytes: ending.bytes ?? null,
      error: ending.error ?? null,
      finished_at: ended ? sql<Date>`now()` : null,
      expires_at: ended
        ? sql<Date>`now() + make_interval(hours => ${ending.retentionHours})`
        : null,
    })
    .where("id", "=", id)
    .where("execution_id", "=", executionId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
