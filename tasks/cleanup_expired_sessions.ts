import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { deleteExpiredSessions } from "../src/dashboard/sessions.ts";

/**
 * Seed 000's `cleanup_expired_sessions` (daily, midnight): deletes dashboard sessions past their
 * idle or absolute expiry, in batches of `batch_size`, each its own short transaction.
 */
export default defineCallCenterTask({
  name: "cleanup_expired_sessions",
  lane: "maintenance",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ batch_size: z.number().int().min(1).max(50_000).optional() }).passthrough(),
  run: (payload, ctx) =>
    deleteExpiredSessions(ctx.db, payload.batch_size ? { batchSize: payload.batch_size } : {}),
});
