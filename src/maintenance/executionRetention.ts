/**
 * Seed 001's `cleanup_old_tasks`, for the ledger: executions that ended (succeeded, dead,
 * cancelled, expired) more than `EXECUTION_RETENTION_DAYS` ago are deleted with their attempts,
 * in bounded batches (batchedDeletion.ts). A live execution (queued, scheduled, running,
 * retrying) stays whatever its age: it still has, or is about to get, a job.
 *
 * Other rows name executions by public id (`parent_id`, reports' and exports' `execution_id`,
 * a recommendation's `execution_id`) without a foreign key: they keep the id, and a lookup of it
 * answers 404 like any other unknown execution.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { statusList, terminalStatuses } from "../engine/executionStatus.ts";
import {
  type BatchedDeletionOptions,
  type DeletionResult,
  deleteInBatches,
  type RetentionTable,
  retentionCutoff,
} from "./batchedDeletion.ts";
import { retentionDefaults } from "./retentionSettings.ts";

export interface ExecutionRetentionOptions extends Omit<BatchedDeletionOptions, "cutoff"> {
  /** Days an execution is kept after it ended (`finished_at`). Default 30. */
  days?: number;
  /** The clock the age is measured from. Default: the database's `now()`. */
  now?: Date;
}

export const executionsRetentionTable: RetentionTable = {
  table: "executions",
  timeColumn: "finished_at",
  onlyWhere: sql`status in (${statusList(terminalStatuses)})`,
  related: {
    attempts: sql`delete from execution_attempts a using batch where a.execution_id = batch.id returning 1`,
  },
};

export async function deleteOldExecutions(
  db: Db,
  options: ExecutionRetentionOptions = {},
): Promise<DeletionResult> {
  const { days = retentionDefaults.executionDays, now, ...deletion } = options;
  const cutoff = await retentionCutoff(db, "EXECUTION_RETENTION_DAYS", days, now);
  return deleteInBatches(db, executionsRetentionTable, { ...deletion, cutoff });
}
