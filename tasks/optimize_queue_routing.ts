import { z } from "zod";
import { metricThresholdDefaults } from "../src/analytics/thresholds.ts";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { isoTimestamp } from "../src/database/storableTimestamp.ts";
import { optimizeQueueRouting } from "../src/routing/optimizeQueueRouting.ts";

export const optimizeQueueRoutingPayload = z.object({
  /** The end of the window analysed (exclusive); default now. */
  window_end: isoTimestamp("window_end").optional(),
  window_minutes: z
    .number({ error: "window_minutes must be a number" })
    .int("window_minutes must be a whole number")
    .min(1, "window_minutes must be at least 1")
    .max(1440, "window_minutes must be at most 1440")
    .optional(),
  /** Default SERVICE_LEVEL_SECONDS. */
  service_level_seconds: z
    .number({ error: "service_level_seconds must be a number" })
    .int("service_level_seconds must be a whole number")
    .min(0, "service_level_seconds must be at least 0")
    .max(86_400, "service_level_seconds must be at most 86400")
    .optional(),
  /** Default SERVICE_LEVEL_TARGET. */
  service_level_target: z
    .number({ error: "service_level_target must be a number" })
    .gt(0, "service_level_target must be above 0")
    .lt(1, "service_level_target must be below 1")
    .optional(),
});

/**
 * Seed 000's `optimize_queue_routing` (every 30 minutes): the agents each call queue needs for
 * the service-level target by Erlang C over the last 30 minutes, and the moves of agents between
 * call queues that would staff them, stored in `routing_recommendations`
 * (src/routing/optimizeQueueRouting.ts).
 */
export default defineCallCenterTask({
  name: "optimize_queue_routing",
  lane: "analytics",
  payload: optimizeQueueRoutingPayload,
  softTimeLimitMs: 5 * 60_000,
  hardTimeLimitMs: 6 * 60_000,
  run: (payload, ctx) => {
    const { metricThresholds = metricThresholdDefaults, serviceLevelTarget } =
      ctx.services.reporting;
    return optimizeQueueRouting(ctx.db, {
      serviceLevelSeconds: payload.service_level_seconds ?? metricThresholds.serviceLevelSeconds,
      serviceLevelTarget: payload.service_level_target ?? serviceLevelTarget,
      ...(payload.window_end ? { windowEnd: new Date(payload.window_end) } : {}),
      ...(payload.window_minutes ? { windowMinutes: payload.window_minutes } : {}),
      executionId: ctx.executionId,
    });
  },
});
