import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { sendBulkEmails } from "../src/email/bulkEmails.ts";
import { sendBulkEmailsPayload } from "../src/email/payload.ts";
import sendEmail from "./send_email.ts";

/**
 * Seed 001's `send_bulk_emails(emails, batch_size=50)`: one send_email job per message, in
 * batches of `batch_size` (src/email/bulkEmails.ts). Returns how many were enqueued.
 */
export default defineCallCenterTask({
  name: "send_bulk_emails",
  lane: "email",
  payload: sendBulkEmailsPayload,
  positionalArgs: ["emails", "batch_size"],
  softTimeLimitMs: 5 * 60_000,
  hardTimeLimitMs: 6 * 60_000,
  run: (payload, ctx) =>
    sendBulkEmails(ctx.db, sendEmail, payload, {
      executionId: ctx.executionId,
      progress: (percent, message) => ctx.progress(percent, message),
      signal: ctx.signal,
    }),
});
