import { z } from "zod";
import { defineTask } from "../src/engine/task.ts";
import { webhookListFailed } from "../src/webhooks/webhookLog.ts";
import retryFailedWebhook from "./retry_failed_webhook.ts";

/** Every 10 minutes (seed 000): retries webhooks still unprocessed after 5 minutes. */
export default defineTask({
  name: "check_failed_webhooks",
  lane: "maintenance",
  payload: z
    .object({
      older_than_minutes: z.number().int().min(0).default(5),
      max_attempts: z.number().int().min(1).default(5),
    })
    .passthrough(),
  async run({ older_than_minutes, max_attempts }, ctx) {
    const failed = await webhookListFailed(ctx.db, older_than_minutes * 60_000, max_attempts);
    for (const log of failed) {
      await ctx.enqueue(
        retryFailedWebhook,
        { webhook_log_id: log.id },
        { jobKey: `webhook-check:${log.id}` },
      );
    }
    return { retried: failed.length };
  },
});
