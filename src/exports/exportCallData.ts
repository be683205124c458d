/**
 * One run of `export_call_data`: the calls of the filters, read from the reporting database in
 * keyset-paged chunks that PostgreSQL writes as CSV or JSON (callRows.ts; each chunk its own
 * short statements), streamed into the encrypted generated-files store under
 * `exports/<yyyy>/<mm>/<public id>.<format>`.
 *
 * Between chunks it gives way to jobs more urgent than itself that are due and not yet taken
 * (urgentWork.ts), then for the jobs taken from that backlog to finish; `EXPORT_YIELD_MS` is
 * how long either may stand still before the export goes on regardless.
 *
 * Memory stays bounded by a few chunks whatever the export's size: the source is pulled only as
 * fast as the store takes bytes. Progress (rows done of the planner's estimate) goes to the
 * execution (`ctx.progress`) and to the export's row. A cancelled run (its execution cancelled
 * by an operator) stops at the next chunk, leaves no file behind, and marks the row `cancelled`;
 * a failed one marks it `failed` on its last attempt, else `pending` for the retry.
 */
import { Readable } from "node:stream";
import type { CallCenterTaskContext } from "../callCenter/task.ts";
import { copyOutOn } from "../database/copyOut.ts";
import { createClientDb } from "../database/pool.ts";
import type { ExportFormat } from "../database/schema.ts";
import { AbortReason } from "../engine/jobContext.ts";
import { defaultLanes } from "../engine/lanes.ts";
import { yieldToUrgentWork } from "../engine/urgentWork.ts";
import {
  type CallRowKey,
  callRowsChunkEnd,
  callRowsCsvCopy,
  callRowsEstimate,
  callRowsJsonCopy,
} from "./callRows.ts";
import {
  type ExportRequest,
  exportFinish,
  exportGetByCacheKey,
  exportSetProgress,
  exportStart,
  exportStorageKey,
} from "./exportRecords.ts";
import {
  type ExportFilters,
  exportCacheKey,
  type NormalisedExportFilters,
  normaliseExportFilters,
} from "./filters.ts";

/** How often a running export writes its progress to its row. */
const PROGRESS_EVERY_MS = 1_000;

export interface ExportCallDataInput {
  filters: ExportFilters;
  format: ExportFormat;
  /** Who asked (seed 000's `user_id`, or the API token's name). */
  requestedBy: string;
}

export interface ExportCallDataResult {
  export_id: string;
  cache_key: string;
  status: string;
  rows: number;
  bytes: number | null;
  /** False when another execution owns this export (it is running, or fresh and ready). */
  ran: boolean;
}

export async function exportCallData(
  ctx: CallCenterTaskContext,
  input: ExportCallDataInput,
): Promise<ExportCallDataResult> {
  const filters = normaliseExportFilters(input.filters);
  const request: ExportRequest = {
    cacheKey: exportCacheKey(filters, input.format),
    filters,
    format: input.format,
    requestedBy: input.requestedBy,
  };
  const row = await exportStart(ctx.db, request, ctx.executionId);
  if (!row) {
    const other = await exportGetByCacheKey(ctx.db, request.cacheKey);
    return {
      export_id: other?.public_id ?? "",
      cache_key: request.cacheKey,
      status: other?.status ?? "unknown",
      rows: other?.rows_done ?? 0,
      bytes: other?.bytes ?? null,
      ran: false,
    };
  }
  const { reporting } = ctx.services;
  const storageKey = exportStorageKey(row);
  const estimate = await callRowsEstimate(reporting.db, filters);
  await exportSetProgress(ctx.db, row.id, ctx.executionId, {
    rowsDone: 0,
    rowsEstimated: estimate,
  });

  let rowsDone = 0;
  let reportedAt = Date.now();
  const percentDone = () =>
    estimate > 0 ? Math.min(99, Math.floor((rowsDone * 100) / estimate)) : 0;
  const reportProgress = async () => {
    ctx.progress(percentDone(), `${rowsDone} of about ${estimate} rows`);
    if (Date.now() - reportedAt >= PROGRESS_EVERY_MS) {
      reportedAt = Date.now();
      await exportSetProgress(ctx.db, row.id, ctx.executionId, { rowsDone });
    }
  };
  const source = Readable.from(
    encodedChunks(
      ctx,
      filters,
      input.format,
      reporting.exportChunkRows,
      async (rows) => {
        rowsDone += rows;
        await reportProgress();
      },
      async () => {
        await yieldToUrgentWork(ctx.db, {
          priority: defaultLanes.exports.priority,
          maxMs: reporting.exportYieldMs,
          signal: ctx.signal,
          onWaiting: () =>
            ctx.progress(
              percentDone(),
              `${rowsDone} of about ${estimate} rows; waiting for more urgent jobs`,
            ),
        });
      },
    ),
    // Bytes, not objects: the buffer holds 16 KiB, so COPY's output is pulled only as fast as
    // the store takes it.
    { objectMode: false },
  );
  const abort = () => source.destroy(ctx.signal.reason as Error);
  ctx.signal.addEventListener("abort", abort, { once: true });
  try {
    const stored = await reporting.files.put(storageKey, source);
    await exportFinish(ctx.db, row.id, ctx.executionId, {
      status: "ready",
      rowsDone,
      storageKey,
      bytes: stored.bytes,
      retentionHours: reporting.exportRetentionHours,
    });
    ctx.progress(100, `${rowsDone} rows`);
    return {
      export_id: row.public_id,
      cache_key: request.cacheKey,
      status: "ready",
      rows: rowsDone,
      bytes: stored.bytes,
      ran: true,
    };
  } catch (error) {
    await reporting.files.delete(storageKey).catch((deleteError: unknown) => {
      ctx.logger.error({ err: deleteError, storageKey }, "could not delete an unfinished export");
    });
    const reason = ctx.signal.aborted ? ctx.signal.reason : undefined;
    const cancelled = reason instanceof AbortReason && reason.kind === "cancelled";
    const final = cancelled || ctx.attempt >= ctx.maxAttempts;
    await exportFinish(ctx.db, row.id, ctx.executionId, {
      status: cancelled ? "cancelled" : final ? "failed" : "pending",
      rowsDone: cancelled ? rowsDone : 0,
      error: cancelled ? "cancelled" : (error as Error).message,
      retentionHours: reporting.exportRetentionHours,
    });
    throw error;
  } finally {
    ctx.signal.removeEventListener("abort", abort);
  }
}

/**
 * The file's bytes, chunk by chunk: each chunk's end is found by one short query, then
 * PostgreSQL writes the chunk with COPY. Nothing is read ahead: the next chunk is asked for only
 * once the store has taken this one. A JSON file's first chunk is its first call alone, so that
 * every later call can come after a comma.
 */
async function* encodedChunks(
  ctx: CallCenterTaskContext,
  filters: NormalisedExportFilters,
  format: ExportFormat,
  chunkRows: number,
  onRows: (count: number) => Promise<void>,
  beforeNextChunk: () => Promise<void>,
): AsyncGenerator<Buffer | string> {
  const json = format === "json";
  if (json) yield "[\n";
  const { pool } = ctx.services.reporting;
  const client = await pool.connect();
  try {
    // A chunk is a short range of one index: parallel workers and JIT cost more to start than
    // they save, and would take cores from the jobs sharing the database.
    await client.query("set max_parallel_workers_per_gather = 0; set jit = off");
    const db = createClientDb(pool, client);
    let after: CallRowKey | null = null;
    for (let first = true; ; first = false) {
      ctx.signal.throwIfAborted();
      if (!first) await beforeNextChunk();
      const upTo = await callRowsChunkEnd(db, filters, after, json && first ? 1 : chunkRows);
      const chunk = { after, upTo };
      const copy = copyOutOn(
        client,
        json
          ? callRowsJsonCopy(db, filters, { ...chunk, separator: !first })
          : callRowsCsvCopy(db, filters, { ...chunk, header: first }),
      );
      yield* copy;
      await onRows(await copy.completed);
      if (!upTo) break;
      after = upTo;
    }
  } finally {
    // Discarded, not returned: its session settings go with it, and a COPY stopped part-way
    // leaves it unusable.
    client.release(true);
  }
  if (json) yield "]\n";
}
