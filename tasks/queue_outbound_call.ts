import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { placeOutboundCall } from "../src/calls/outbound.ts";
import { queueOutboundCallPayload } from "../src/calls/payloads.ts";

/**
 * Seed 001: dial one outbound call, at most once per intent (src/calls/outbound.ts). The
 * account's calls-per-second limit (`twilio.calls`, services.twilio.callsPerSecond) and the
 * campaign's concurrent-call leases are taken inside the dial, not through `rateLimit` /
 * `concurrency` here: both are configured at run time, and a lease must outlive the job.
 */
export default defineCallCenterTask({
  name: "queue_outbound_call",
  lane: "realtime",
  payload: queueOutboundCallPayload,
  maxAttempts: 5,
  softTimeLimitMs: 2 * 60_000,
  hardTimeLimitMs: 3 * 60_000,
  run: (payload, ctx) => placeOutboundCall(ctx.db, ctx.services.twilio, payload, ctx),
});
