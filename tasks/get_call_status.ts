import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { getCallStatus } from "../src/calls/callControl.ts";
import { getCallStatusPayload } from "../src/calls/payloads.ts";

/** Seed 001: the call's status from Twilio as `{ call_info }`; our row moves forward only. */
export default defineCallCenterTask({
  name: "get_call_status",
  lane: "realtime",
  payload: getCallStatusPayload,
  run: (payload, ctx) => getCallStatus(ctx.db, ctx.services.twilio, payload.call_sid),
});
