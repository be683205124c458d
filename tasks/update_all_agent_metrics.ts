import { z } from "zod";
import { parseLocalDate } from "../src/analytics/period.ts";
import { refreshAgentToday } from "../src/analytics/periodicRefresh.ts";
import { defineCallCenterTask } from "../src/callCenter/task.ts";

const localDate = z.string().refine(
  (value) => {
    try {
      parseLocalDate(value, "date");
      return true;
    } catch {
      return false;
    }
  },
  { message: "date must be a calendar date as YYYY-MM-DD" },
);

/**
 * Seed 000's `update_all_agent_metrics` (every 15 minutes): recomputes the rollup per agent ×
 * local day (REPORT_TIMEZONE) for today, and yesterday too in the first hour after midnight; or
 * for the local day `date`.
 */
export default defineCallCenterTask({
  name: "update_all_agent_metrics",
  lane: "analytics",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ date: localDate.optional() }).passthrough(),
  softTimeLimitMs: 5 * 60_000,
  hardTimeLimitMs: 6 * 60_000,
  run: (payload, ctx) =>
    refreshAgentToday(ctx.db, {
      timeZone: ctx.services.reporting.timeZone,
      thresholds: ctx.services.reporting.metricThresholds,
      date: payload.date,
    }),
});
