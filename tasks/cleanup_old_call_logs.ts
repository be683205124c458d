import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { deleteOldCallLogs } from "../src/maintenance/callLogRetention.ts";
import { retentionDefaults } from "../src/maintenance/retentionSettings.ts";

/**
 * Seed 000's `cleanup_old_call_logs` (daily, 01:00): webhook logs and call events received more
 * than CALL_LOG_RETENTION_DAYS ago go, in batches of `batch_size` rows, each its own short
 * transaction; calls themselves stay (src/maintenance/callLogRetention.ts).
 */
export default defineCallCenterTask({
  name: "cleanup_old_call_logs",
  lane: "maintenance",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ batch_size: z.number().int().min(1).max(50_000).optional() }).passthrough(),
  softTimeLimitMs: 55 * 60_000,
  hardTimeLimitMs: 60 * 60_000,
  run: async (payload, ctx) => {
    const settings = ctx.services.retention ?? retentionDefaults;
    const { webhookLogs, callEvents } = await deleteOldCallLogs(ctx.db, {
      days: settings.callLogDays,
      signal: ctx.signal,
      ...(payload.batch_size ? { batchSize: payload.batch_size } : {}),
      onProgress: (p) =>
        ctx.progress(
          (p.table === "webhook_logs" ? 0 : 50) + p.fraction * 50,
          `${p.table}: ${p.deleted} deleted in ${p.batches} batches`,
        ),
    });
    return { webhook_logs: webhookLogs, call_events: callEvents };
  },
});
