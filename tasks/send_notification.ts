import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { sendNotificationPayload } from "../src/notifications/payload.ts";
import { sendNotification } from "../src/notifications/sendNotification.ts";

/**
 * Seeds 001 and 003: notify an agent (or one address) by email and/or SMS. The email channel
 * enqueues send_email; the sms channel sends through Twilio, at most once per execution
 * (src/notifications/sendNotification.ts).
 */
export default defineCallCenterTask({
  name: "send_notification",
  lane: "notifications",
  payload: sendNotificationPayload,
  positionalArgs: ["user_id", "notification_type", "title", "message", "channels"],
  maxAttempts: 5,
  softTimeLimitMs: 60_000,
  hardTimeLimitMs: 2 * 60_000,
  run: (payload, ctx) => sendNotification(ctx.db, ctx.services.twilio, payload, ctx),
});
