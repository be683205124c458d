import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { emailJobPriority } from "../src/email/jobPriority.ts";
import { sendEmailPayload } from "../src/email/payload.ts";
import { sendEmail } from "../src/email/sendEmail.ts";

/**
 * Seed 001's `send_email(to_email, subject, body, html?, attachments?, priority?)`: one message
 * over SMTP (src/email/sendEmail.ts). Code that must send mail enqueues this task in the same
 * transaction as what causes the mail. `priority` is also the job's priority in the lane.
 */
export default defineCallCenterTask({
  name: "send_email",
  lane: "email",
  payload: sendEmailPayload,
  positionalArgs: ["to_email", "subject", "body", "html", "attachments", "priority"],
  jobPriority: (payload) => emailJobPriority(payload.priority),
  maxAttempts: 5,
  softTimeLimitMs: 2 * 60_000,
  hardTimeLimitMs: 3 * 60_000,
  run: (payload, ctx) =>
    sendEmail(ctx.db, ctx.services.email, payload, {
      executionId: ctx.executionId,
      logger: ctx.logger,
    }),
});
