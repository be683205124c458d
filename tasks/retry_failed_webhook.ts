import { z } from "zod";
import { PermanentError } from "../src/engine/errors.ts";
import { defineTask } from "../src/engine/task.ts";
import processWebhookCallback from "./process_webhook_callback.ts";

/** Processes a logged webhook again (seed 000's `retry_failed_webhook(webhook_log_id)`). */
export default defineTask({
  name: "retry_failed_webhook",
  lane: "retries",
  positionalArgs: ["webhook_log_id"],
  payload: z.object({ webhook_log_id: z.number().int().positive() }),
  async run({ webhook_log_id }, ctx) {
    const log = await ctx.db
      .selectFrom("webhook_logs")
      .select(["id", "processed_at"])
      .where("id", "=", webhook_log_id)
      .executeTakeFirst();
    if (!log) throw new PermanentError(`no webhook log ${webhook_log_id}`);
    if (log.processed_at) return { webhook_log_id, outcome: "already_processed" };
    const taskId = await ctx.enqueue(
      processWebhookCallback,
      { webhook_log_id },
      { jobKey: `webhook-retry:${webhook_log_id}` },
    );
    return { webhook_log_id, outcome: "enqueued", task_id: taskId };
  },
});
