import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { cleanupStaleCalls } from "../src/calls/callControl.ts";
import { cleanupStaleCallsPayload } from "../src/calls/payloads.ts";

/** Seed 001: settle calls stuck in a non-final status for more than `max_age_hours`. */
export default defineCallCenterTask({
  name: "cleanup_stale_calls",
  lane: "maintenance",
  payload: cleanupStaleCallsPayload,
  softTimeLimitMs: 10 * 60_000,
  hardTimeLimitMs: 12 * 60_000,
  run: (payload, ctx) => cleanupStaleCalls(ctx.db, ctx.services.twilio, payload.max_age_hours),
});
