/**
 * The queue_outbound_call task's work: find (or write) the call intent, then dial it
 * (dialing.ts).
 */

import type { TwilioService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import type { TaskContext } from "../engine/types.ts";
import { createCallIntent, executionIntentKey, failOnBadInput } from "./callIntents.ts";
import { type DialResult, type DialSettings, defaultDialSettings, dialCall } from "./dialing.ts";
import type { QueueOutboundCallPayload } from "./payloads.ts";

/**
 * The queue_outbound_call task: finds (or writes) the intent, then dials it. An intent written
 * here with `delay_seconds` waits that long from its first run.
 */
export async function placeOutboundCall(
  db: Db,
  twilio: TwilioService,
  payload: QueueOutboundCallPayload,
  ctx: Pick<TaskContext, "executionId" | "attempt" | "maxAttempts">,
  settings: DialSettings = defaultDialSettings,
): Promise<DialResult> {
  let callId = payload.call_id;
  if (!callId) {
    const delayMs = Math.round((payload.delay_seconds ?? 0) * 1000);
    const intent = await failOnBadInput(
      createCallIntent(db, {
        intentKey: payload.intent_key ?? executionIntentKey(ctx.executionId),
        toNumber: payload.to_number as string,
        fromNumber: payload.from_number,
        metadata: payload.call_metadata,
        scheduledFor: delayMs > 0 ? new Date(Date.now() + delayMs) : null,
        campaignPublicId: payload.campaign_id,
      }),
    );
    callId = intent.public_id;
  }
  return dialCall(
    db,
    twilio,
    {
      callId,
      webhookUrl: payload.webhook_url,
      statusCallbackUrl: payload.status_callback_url,
      lastAttempt: ctx.attempt >= ctx.maxAttempts,
    },
    settings,
  );
}
