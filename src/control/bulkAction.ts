/**
 * `execution.bulk_retry` and `execution.bulk_cancel`: retry or cancel many executions in ONE
 * transaction — every selected execution changes or none does — with one audit row that names
 * them all. A selection over `maxBatch` is refused rather than truncated. A dry run reports the
 * outcomes, then rolls back: it changes nothing and is not audited.
 */
import type { Db } from "../database/pool.ts";
import { cancelExecution } from "../engine/control/cancel.ts";
import { retryExecution } from "../engine/control/retry.ts";
import type { TaskRegistry } from "../engine/registry.ts";
import { applyExecutionFilters, type ExecutionFilters } from "../executions/filters.ts";
import { type Operator, recordAudit } from "./audit.ts";

export interface BulkAction extends Operator {
  action: "retry" | "cancel";
  /** The executions' public ids; or else `filters` selects them. */
  publicIds?: string[];
  filters?: ExecutionFilters;
  dryRun?: boolean;
  /** Most executions one bulk action may touch. */
  maxBatch: number;
}

export interface BulkActionReport {
  action: "retry" | "cancel";
  dryRun: boolean;
  matched: number;
  results: { publicId: string; outcome: string }[];
  /** How many executions ended with each outcome. */
  summary: Record<string, number>;
}

/** The selection holds more executions than one bulk action may touch; nothing changed. */
export class BulkSelectionTooLarge extends Error {
  readonly selected: number | string;
  readonly maxBatch: number;

  constructor(selected: number | string, maxBatch: number) {
    super(`The action selects ${selected} executions; at most ${maxBatch} at once`);
    this.name = "BulkSelectionTooLarge";
    this.selected = selected;
    this.maxBatch = maxBatch;
  }
}

class DryRun extends Error {}

export async function executionBulkAction(
  db: Db,
  registry: TaskRegistry,
  request: BulkAction,
): Promise<BulkActionReport> {
  const { action, publicIds, maxBatch } = request;
  if (publicIds && publicIds.length > maxBatch) {
    throw new BulkSelectionTooLarge(publicIds.length, maxBatch);
  }
  let report: BulkActionReport | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      const ids = publicIds
        ? [...new Set(publicIds)]
        : await selectForUpdate(trx, request.filters ?? {}, maxBatch);
      const results: BulkActionReport["results"] = [];
      for (const publicId of ids) {
        const outcome =
          action === "retry"
            ? await retryExecution(trx, registry, publicId)
            : await cancelExecution(trx, publicId);
        results.push({ publicId, outcome });
      }
      const summary: Record<string, number> = {};
      for (const { outcome } of results) summary[outcome] = (summary[outcome] ?? 0) + 1;
      report = { action, dryRun: request.dryRun ?? false, matched: ids.length, results, summary };
      if (request.dryRun) throw new DryRun();
      await recordAudit(trx, {
        actor: request.actor,
        requestId: request.requestId,
        action: `execution.bulk_${action}`,
        targetIds: ids,
        details: { summary, filters: request.filters ?? null },
        outcome: "applied",
      });
    });
  } catch (error) {
    if (!(error instanceof DryRun)) throw error;
  }
  return report as BulkActionReport;
}

async function selectForUpdate(db: Db, filters: ExecutionFilters, maxBatch: number) {
  const rows = await applyExecutionFilters(db.selectFrom("executions").select("public_id"), filters)
    .orderBy("created_at")
    .orderBy("id")
    .limit(maxBatch + 1)
    .forUpdate()
    .execute();
  if (rows.length > maxBatch) throw new BulkSelectionTooLarge(`more than ${maxBatch}`, maxBatch);
  return rows.map((row) => row.public_id);
}
