import { z } from "zod";
import { enqueue } from "../src/engine/enqueue.ts";
import { defineTask } from "../src/engine/task.ts";
import { recordingJobKey } from "../src/recordings/jobKeys.ts";
import { processWebhook } from "../src/webhooks/processWebhook.ts";
import { markWebhookFailed } from "../src/webhooks/webhookLog.ts";
import processCallRecording from "./process_call_recording.ts";

/** Applies a logged Twilio webhook (seed 000). Enqueued by the webhook routes. */
export default defineTask({
  name: "process_webhook_callback",
  lane: "webhooks",
  payload: z.object({ webhook_log_id: z.number().int().positive() }),
  maxAttempts: 5,
  async run({ webhook_log_id }, ctx) {
    try {
      return await processWebhook(ctx.db, webhook_log_id, {
        onRecordingCompleted: async (trx, recording) => {
          await enqueue(
            trx,
            processCallRecording,
            { recording_id: recording.id },
            { jobKey: recordingJobKey(recording.sid) },
          );
        },
      });
    } catch (error) {
      await markWebhookFailed(ctx.db, webhook_log_id, error);
      throw error;
    }
  },
});
