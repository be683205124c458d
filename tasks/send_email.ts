import { sendEmailPayload } from "../src/email/payload.ts";
import { defineTask } from "../src/engine/task.ts";

/**
 * Seed 001's send_email: its name, lane and payload, so that other tasks can enqueue mail.
 * Sending is not built on this branch.
 */
export default defineTask({
  name: "send_email",
  lane: "email",
  payload: sendEmailPayload,
  run: async () => {
    throw new Error("sending is not built on this branch");
  },
});
