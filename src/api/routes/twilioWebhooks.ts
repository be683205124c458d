/**
 * Twilio's webhooks into Switchboard. Each request must carry a valid `X-Twilio-Signature` for
 * our public URL; a missing or bad one is refused (403) with nothing stored or enqueued. A good
 * one is logged and its processing enqueued on the `webhooks` lane, deduplicated by callback,
 * in one transaction — the response returns without waiting for the processing.
 */
import { type Context, Hono } from "hono";
import type { TwilioService } from "../../callCenter/services.ts";
import type { Db } from "../../database/pool.ts";
import { enqueue } from "../../engine/enqueue.ts";
import type { AnyTask } from "../../engine/task.ts";
import { logWebhook, type WebhookKind } from "../../webhooks/webhookLog.ts";
import type { AppEnv } from "../context.ts";
import { verifiedTwilioForm } from "../twilioForm.ts";

export interface TwilioWebhookDependencies {
  db: Db;
  twilio: Pick<TwilioService, "authToken" | "publicBaseUrl">;
  /** The `process_webhook_callback` task. */
  processWebhookTask: AnyTask;
}

const paths: Record<string, WebhookKind> = {
  "/webhooks/twilio/call-status": "call-status",
  "/webhooks/twilio/recording-status": "recording-status",
  "/webhooks/twilio/transcription": "transcription",
};

export function twilioWebhookRoutes({ db, twilio, processWebhookTask }: TwilioWebhookDependencies) {
  const app = new Hono<AppEnv>();

  const verified = (c: Context<AppEnv>) => verifiedTwilioForm(c, twilio);

  for (const [path, kind] of Object.entries(paths)) {
    app.post(path, async (c) => {
      const { params, url } = await verified(c);
      await db.transaction().execute(async (trx) => {
        const log = await logWebhook(trx, { kind, url, params });
        if (log.duplicate_of !== null) return;
        await enqueue(
          trx,
          processWebhookTask,
          { webhook_log_id: log.id },
          { jobKey: `webhook:${log.dedupe_key}` },
        );
      });
      return c.body(null, 204);
    });
  }

  // The TwiML of outbound calls: what the callee hears once they answer.
  app.post("/webhooks/twilio/voice", async (c) => {
    await verified(c);
    return c.body(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello from Switchboard.</Say></Response>',
      200,
      { "content-type": "text/xml" },
    );
  });
  return app;
}
