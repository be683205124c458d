/**
 * The audit log's retention: rows older than `AUDIT_RETENTION_DAYS` are deleted in bounded
 * batches (batchedDeletion.ts), walking `audit_log_at`. `cleanup_old_tasks` runs it after the
 * ledger's.
 */
import type { Db } from "../database/pool.ts";
import {
  type BatchedDeletionOptions,
  type DeletionResult,
  deleteInBatches,
  type RetentionTable,
  retentionCutoff,
} from "./batchedDeletion.ts";
import { retentionDefaults } from "./retentionSettings.ts";

export interface AuditLogRetentionOptions extends Omit<BatchedDeletionOptions, "cutoff"> {
  /** Days an audit row is kept. Default 365. */
  days?: number;
  /** The clock the age is measured from. Default: the database's `now()`. */
  now?: Date;
}

export const auditLogRetentionTable: RetentionTable = { table: "audit_log", timeColumn: "at" };

export async function deleteOldAuditEntries(
  db: Db,
  options: AuditLogRetentionOptions = {},
): Promise<DeletionResult> {
  const { days = retentionDefaults.auditDays, now, ...deletion } = options;
  const cutoff = await retentionCutoff(db, "AUDIT_RETENTION_DAYS", days, now);
  return deleteInBatches(db, auditLogRetentionTable, { ...deletion, cutoff });
}
