/**
 * `execution.purge` (seed 001's `purge_queue`): cancel every waiting execution of a lane, of a
 * task, or of a task in a lane, for an operator, however many there are — batch by batch, each
 * batch one short transaction (see `engine/control/purge.ts`). One audit row says what was
 * purged and how many: it is written with the first batch and brought up to date with each
 * later one, `purging` until the last batch makes it `purged`, so an interrupted purge leaves a
 * row counting exactly what it cancelled.
 */
import type { Db } from "../database/pool.ts";
import {
  type PurgeBatch,
  type PurgePosition,
  type PurgeSelection,
  PurgeSelectionEmpty,
  purgeBatch,
  purgeStart,
} from "../engine/control/purge.ts";
import { auditUpdate, type Operator, recordAudit } from "./audit.ts";

export interface Purge extends Operator, PurgeSelection {
  /** Executions per batch (one transaction each); default 1,000. */
  batchSize?: number;
  /** Called after each batch commits, with the totals so far. */
  onProgress?: (progress: PurgeProgress) => void;
}

export interface PurgeProgress {
  cancelled: number;
  /** Executions a worker had just taken: it is asked to stop them. */
  cancelRequested: number;
  batches: number;
}

export interface PurgeReport extends PurgeProgress {
  auditId: number;
}

export async function executionPurge(db: Db, request: Purge): Promise<PurgeReport> {
  const { lane, taskName, batchSize = 1_000 } = request;
  if (!lane && !taskName) throw new PurgeSelectionEmpty();
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize: expected a whole number ≥ 1, got ${batchSize}`);
  }
  const selection: PurgeSelection = { lane, taskName };
  let totals: PurgeProgress = { cancelled: 0, cancelRequested: 0, batches: 0 };
  let auditId: number | undefined;
  let position: PurgePosition | null = await purgeStart(db);
  while (position) {
    const from: PurgePosition = position;
    const { batch, next, id } = await db.transaction().execute(async (trx) => {
      const batch: PurgeBatch = await purgeBatch(trx, selection, from, batchSize);
      const next: PurgeProgress = {
        cancelled: totals.cancelled + batch.cancelled,
        cancelRequested: totals.cancelRequested + batch.cancelRequested,
        batches: totals.batches + 1,
      };
      const record = {
        details: {
          lane: lane ?? null,
          task_name: taskName ?? null,
          cancelled: next.cancelled,
          cancel_requested: next.cancelRequested,
        },
        outcome: batch.next ? "purging" : "purged",
      };
      if (auditId === undefined) {
        const id = await recordAudit(trx, {
          actor: request.actor,
          requestId: request.requestId,
          action: "execution.purge",
          ...record,
        });
        return { batch, next, id };
      }
      await auditUpdate(trx, auditId, record);
      return { batch, next, id: auditId };
    });
    auditId = id;
    totals = next;
    request.onProgress?.(totals);
    position = batch.next;
  }
  return { ...totals, auditId: auditId as number };
}
