import { scheduleCallPayload } from "../src/calls/payloads.ts";
import { scheduleCall } from "../src/calls/scheduling.ts";
import { defineTask } from "../src/engine/task.ts";
import queueOutboundCall from "./queue_outbound_call.ts";

/** Seed 001: a call at `schedule_time` — its intent and dial job, written now. */
export default defineTask({
  name: "schedule_call",
  lane: "realtime",
  payload: scheduleCallPayload,
  run: (payload, ctx) => scheduleCall(ctx.db, queueOutboundCall, payload, ctx),
});
