import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { deleteOldAuditEntries } from "../src/maintenance/auditLogRetention.ts";
import { deleteOldExecutionMinutes } from "../src/maintenance/executionMinuteRetention.ts";
import { deleteOldExecutions } from "../src/maintenance/executionRetention.ts";
import { retentionDefaults } from "../src/maintenance/retentionSettings.ts";

/**
 * Seed 001's `cleanup_old_tasks` (daily): executions that ended more than
 * EXECUTION_RETENTION_DAYS ago (or `max_age_hours`, as seed 001 calls it) go with their
 * attempts, then audit rows older than AUDIT_RETENTION_DAYS, then per-minute execution rollups
 * older than 90 days (the `/metrics` totals stay); in batches of `batch_size` rows, each its own
 * short transaction (src/maintenance/).
 */
export default defineCallCenterTask({
  name: "cleanup_old_tasks",
  lane: "maintenance",
  // `passthrough`: crontab runs add `_cron`.
  payload: z
    .object({
      max_age_hours: z.number().int().min(1).max(876_000).optional(),
      batch_size: z.number().int().min(1).max(50_000).optional(),
    })
    .passthrough(),
  softTimeLimitMs: 55 * 60_000,
  hardTimeLimitMs: 60 * 60_000,
  run: async (payload, ctx) => {
    const settings = ctx.services.retention ?? retentionDefaults;
    const common = {
      signal: ctx.signal,
      ...(payload.batch_size ? { batchSize: payload.batch_size } : {}),
    };
    const executions = await deleteOldExecutions(ctx.db, {
      ...common,
      days: payload.max_age_hours ? payload.max_age_hours / 24 : settings.executionDays,
      onProgress: (p) =>
        ctx.progress(p.fraction * 90, `executions: ${p.deleted} deleted in ${p.batches} batches`),
    });
    const auditLog = await deleteOldAuditEntries(ctx.db, {
      ...common,
      days: settings.auditDays,
      onProgress: (p) =>
        ctx.progress(
          90 + p.fraction * 10,
          `audit log: ${p.deleted} deleted in ${p.batches} batches`,
        ),
    });
    const executionMinutes = await deleteOldExecutionMinutes(ctx.db, common);
    return { executions, audit_log: auditLog, execution_minutes: executionMinutes };
  },
});
