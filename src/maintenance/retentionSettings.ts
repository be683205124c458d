/**
 * How long Switchboard keeps its history, and the defaults of every retention setting in one
 * place: `src/config.ts` reads the environment over them, and a worker started without settings
 * (`services.retention` unset) uses them as they are.
 *
 * - executions (and their attempts) that ended more than `executionDays` ago: `cleanup_old_tasks`
 * - the audit log after `auditDays`: `cleanup_old_tasks`
 * - webhook logs and call events after `callLogDays`: `cleanup_old_call_logs`
 */
export interface RetentionSettings {
  /** EXECUTION_RETENTION_DAYS: days a terminal execution and its attempts are kept after it ended. */
  executionDays: number;
  /** CALL_LOG_RETENTION_DAYS: days a webhook log or a call event is kept after it was received. */
  callLogDays: number;
  /** AUDIT_RETENTION_DAYS: days an audit row is kept. */
  auditDays: number;
}

/** Seed 000 names no call-log retention; 90 days keeps a quarter's webhooks for disputes. */
export const retentionDefaults: RetentionSettings = {
  executionDays: 30,
  callLogDays: 90,
  auditDays: 365,
};

/** Rows per batch: each batch is one statement in its own short transaction. */
export const retentionBatchSizeDefault = 5_000;
