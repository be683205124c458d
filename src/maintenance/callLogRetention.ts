/**
 * Seed 000's `cleanup_old_call_logs`: webhook logs and call events received more than
 * `CALL_LOG_RETENTION_DAYS` ago are deleted in bounded batches (batchedDeletion.ts). Calls,
 * recordings and the rollups computed from them stay: reports and exports read those.
 *
 * A webhook log kept as a duplicate of an older one (`duplicate_of`) loses that link when the
 * original goes, in the same statement; it stays itself until its own age comes.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import {
  type BatchedDeletionOptions,
  type DeletionResult,
  deleteInBatches,
  type RetentionTable,
  retentionCutoff,
} from "./batchedDeletion.ts";
import { retentionDefaults } from "./retentionSettings.ts";

export interface CallLogRetentionOptions extends Omit<BatchedDeletionOptions, "cutoff"> {
  /** Days a webhook log or call event is kept after it was received. Default 90. */
  days?: number;
  /** The clock the age is measured from. Default: the database's `now()`. */
  now?: Date;
}

export interface CallLogRetentionResult {
  webhookLogs: DeletionResult;
  callEvents: DeletionResult;
}

export const webhookLogsRetentionTable: RetentionTable = {
  table: "webhook_logs",
  timeColumn: "received_at",
  related: {
    detached_duplicates: sql`update webhook_logs w set duplicate_of = null
      where w.duplicate_of in (select id from batch) and w.id not in (select id from batch)
      returning 1`,
  },
};

export const callEventsRetentionTable: RetentionTable = {
  table: "call_events",
  timeColumn: "received_at",
};

export async function deleteOldCallLogs(
  db: Db,
  options: CallLogRetentionOptions = {},
): Promise<CallLogRetentionResult> {
  const { days = retentionDefaults.callLogDays, now, ...deletion } = options;
  const cutoff = await retentionCutoff(db, "CALL_LOG_RETENTION_DAYS", days, now);
  const webhookLogs = await deleteInBatches(db, webhookLogsRetentionTable, {
    ...deletion,
    cutoff,
  });
  const callEvents = await deleteInBatches(db, callEventsRetentionTable, { ...deletion, cutoff });
  return { webhookLogs, callEvents };
}
