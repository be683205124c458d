import { sendEmailPayload } from "../src/email/payload.ts";
import { defineTask } from "../src/engine/task.ts";

/** Seed 001's `send_email`: the name, lane and payload other code enqueues. */
export default defineTask({
  name: "send_email",
  lane: "email",
  payload: sendEmailPayload,
  async run() {
    throw new Error("sending is not built on this branch");
  },
});
