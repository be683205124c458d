import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { cleanupExpiredExports } from "../src/exports/cleanupExpiredExports.ts";

/**
 * Hourly: deletes the files and rows of exports past `EXPORT_RETENTION_HOURS`, in bounded
 * batches (src/exports/cleanupExpiredExports.ts).
 */
export default defineCallCenterTask({
  name: "cleanup_expired_exports",
  lane: "maintenance",
  // `passthrough`: crontab runs add `_cron`.
  payload: z
    .object({
      batch_size: z.number().int().min(1).max(10_000).optional(),
      max_batches: z.number().int().min(1).max(10_000).optional(),
    })
    .passthrough(),
  run: (payload, ctx) =>
    cleanupExpiredExports(ctx.db, {
      files: ctx.services.reporting.files,
      ...(payload.batch_size ? { batchSize: payload.batch_size } : {}),
      ...(payload.max_batches ? { maxBatches: payload.max_batches } : {}),
    }),
});
