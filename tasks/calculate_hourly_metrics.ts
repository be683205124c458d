import { z } from "zod";
import { refreshRecentHours } from "../src/analytics/periodicRefresh.ts";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { isoTimestamp } from "../src/database/storableTimestamp.ts";

/**
 * Seed 000's `calculate_hourly_metrics` (hourly): recomputes the rollup per call queue × local
 * hour (REPORT_TIMEZONE) for the previous and the current hour, or for the hour holding `hour`.
 */
export default defineCallCenterTask({
  name: "calculate_hourly_metrics",
  lane: "analytics",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ hour: isoTimestamp("hour").optional() }).passthrough(),
  softTimeLimitMs: 5 * 60_000,
  hardTimeLimitMs: 6 * 60_000,
  run: (payload, ctx) =>
    refreshRecentHours(ctx.db, {
      timeZone: ctx.services.reporting.timeZone,
      thresholds: ctx.services.reporting.metricThresholds,
      hour: payload.hour ? new Date(payload.hour) : undefined,
    }),
});
