/**
 * Calls and campaigns over HTTP: request bodies (the task payloads' fields, src/calls/payloads.ts),
 * path parameters and the views the routes answer with.
 */
import { z } from "@hono/zod-openapi";
import { callDirections, callOutcomes } from "../../calls/callList.ts";
import {
  bulkCallFields,
  CALL_SID_PATTERN,
  callSid,
  isAfter,
  outboundCallFields,
  scheduleCallFields,
} from "../../calls/payloads.ts";
import { refuseUnstorable } from "../../database/storableText.ts";
import { cursorParam } from "./cursor.ts";

export const QueueCallBody = z.strictObject(outboundCallFields).openapi("QueueCall");
export const BulkCallsBody = z.strictObject(bulkCallFields).openapi("QueueBulkCalls");
export const ScheduleCallBody = z
  .strictObject({
    ...scheduleCallFields,
    schedule_time: scheduleCallFields.schedule_time.refine(
      (value) => isAfter(value, Date.now()),
      "schedule_time must be in the future",
    ),
  })
  .openapi("ScheduleCall");

export const QueuedCallSchema = z
  .object({
    task_id: z.uuid(),
    call_id: z.uuid(),
    scheduled_for: z.string().nullable(),
    status_url: z.string(),
    call_url: z.string(),
  })
  .openapi("QueuedCall");

export const CallSchema = z
  .object({
    call_id: z.uuid(),
    call_sid: z.string().nullable(),
    campaign_id: z.uuid().nullable(),
    direction: z.string(),
    from_number: z.string().nullable(),
    to_number: z.string(),
    status: z.string(),
    metadata: z.unknown(),
    answered_by: z.string().nullable(),
    error: z.object({ code: z.number().nullable(), message: z.string().nullable() }).nullable(),
    dial_attempts: z.number().int(),
    created_at: z.string(),
    scheduled_for: z.string().nullable(),
    dialed_at: z.string().nullable(),
    answered_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    duration_seconds: z.number().nullable(),
    call_queue: z.string().nullable(),
    agent_id: z.number().int().nullable(),
    enqueued_at: z.string().nullable(),
    queue_result: z.string().nullable(),
    wait_seconds: z.number().int().nullable(),
    talk_seconds: z.number().int().nullable(),
    hold_seconds: z.number().int(),
    wrap_up_seconds: z.number().int().nullable(),
    outcome: z.string().nullable(),
    updated_at: z.string(),
    events: z.array(
      z.object({
        status: z.string(),
        sequence_number: z.number().nullable(),
        received_at: z.string(),
        applied: z.boolean(),
      }),
    ),
  })
  .openapi("Call");

export const CallSummarySchema = CallSchema.omit({ events: true }).openapi("CallSummary");

export const CallPageSchema = z
  .object({ calls: z.array(CallSummarySchema), next_cursor: z.string().nullable() })
  .openapi("CallPage");

export const CampaignSchema = z
  .object({
    campaign_id: z.uuid(),
    name: z.string().nullable(),
    status: z.string(),
    from_number: z.string(),
    max_concurrent_calls: z.number().int(),
    delay_between_calls: z.number(),
    metadata: z.unknown(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    progress: z.object({
      total: z.number().int(),
      queued: z.number().int(),
      dialed: z.number().int(),
      in_progress: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
    }),
  })
  .openapi("Campaign");

export const SidParam = z.object({
  sid: callSid("sid").openapi({ param: { name: "sid", in: "path" } }),
});
export const SidOrIdParam = z.object({
  sid: z
    .string()
    .refine(
      (value) => CALL_SID_PATTERN.test(value) || z.uuid().safeParse(value).success,
      "sid must be a Twilio CallSid (CA and 32 hex digits) or a call id (UUID)",
    )
    .openapi({ param: { name: "sid", in: "path" } }),
});
export const CampaignParam = z.object({
  id: z
    .uuid({ error: "id must be a campaign id (UUID)" })
    .openapi({ param: { name: "id", in: "path" } }),
});

export const QueuedCampaignSchema = z.object({
  campaign_id: z.uuid(),
  task_id: z.uuid(),
  status_url: z.string(),
  campaign_url: z.string(),
});

export const QueuedEndCallSchema = z.object({
  task_id: z.uuid(),
  call_sid: z.string(),
  status_url: z.string(),
});

const MAX_CALLS_PAGE = 500;

export const CallListQuery = z.object({
  direction: z
    .enum(callDirections, { error: `direction must be one of ${callDirections.join(", ")}` })
    .optional(),
  outcome: z
    .enum(callOutcomes, { error: `outcome must be one of ${callOutcomes.join(", ")}` })
    .optional(),
  call_queue: z
    .string()
    .min(1)
    .max(200)
    .superRefine(refuseUnstorable)
    .optional()
    .openapi({ description: "a call queue's name", example: "support" }),
  limit: z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(MAX_CALLS_PAGE, { error: `must be at most ${MAX_CALLS_PAGE}` })
    .default(50)
    .openapi({ description: `page size, 1-${MAX_CALLS_PAGE}`, example: 50 }),
  cursor: cursorParam.optional().openapi({ description: "next_cursor of the previous page" }),
});
