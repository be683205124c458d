import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { endCall } from "../src/calls/callControl.ts";
import { endCallPayload } from "../src/calls/payloads.ts";

/** Seed 001: hang up an active call. */
export default defineCallCenterTask({
  name: "end_call",
  lane: "realtime",
  payload: endCallPayload,
  run: (payload, ctx) => endCall(ctx.db, ctx.services.twilio, payload.call_sid),
});
