import { failOnBadInput } from "../src/calls/callIntents.ts";
import { retryFailedCallPayload } from "../src/calls/payloads.ts";
import { retryFailedCall } from "../src/calls/scheduling.ts";
import { defineTask } from "../src/engine/task.ts";
import queueOutboundCall from "./queue_outbound_call.ts";

/** Seed 001: call again, `retry_delay` seconds from now, a number whose call ended busy, no-answer or failed. */
export default defineTask({
  name: "retry_failed_call",
  lane: "retries",
  payload: retryFailedCallPayload,
  run: (payload, ctx) => failOnBadInput(retryFailedCall(ctx.db, queueOutboundCall, payload, ctx)),
});
