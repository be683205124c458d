/**
 * The payloads of the call tasks, with seed 001's parameter names. Each field's error message
 * names the field, so a refusal over HTTP or at enqueue says which one is wrong. The HTTP routes
 * reuse these shapes (src/api/routes/calls.ts).
 */
import { z } from "zod";
import { isoTimestamp } from "../database/storableTimestamp.ts";

/** `+` then 8 to 15 digits, the first 1-9. */
export const E164_PATTERN = /^\+[1-9]\d{7,14}$/;

/** Twilio's CallSid: `CA` and 32 hex digits. */
export const CALL_SID_PATTERN = /^CA[0-9a-f]{32}$/;

/** A time up to this far in the past still counts as "in the future" for a job waiting in line. */
export const SCHEDULE_GRACE_MS = 5 * 60_000;

export const e164 = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .regex(
      E164_PATTERN,
      `${field} must be an E.164 phone number: + then 8 to 15 digits, the first 1-9 (e.g. +14155550100)`,
    );

export const callSid = (field = "call_sid") =>
  z
    .string({ error: `${field} must be a string` })
    .regex(CALL_SID_PATTERN, `${field} must be a Twilio CallSid: CA and 32 hex digits`);

const httpUrl = (field: string) =>
  z.url({ protocol: /^https?$/, error: `${field} must be an http(s) URL` }).max(2000);

const callMetadata = z
  .record(z.string(), z.unknown(), { error: "call_metadata must be an object" })
  .refine((value) => JSON.stringify(value).length <= 16_384, {
    message: "call_metadata must be at most 16 KiB as JSON",
  });

/** The fields a caller gives for one outbound call (HTTP body and task payload alike). */
export const outboundCallFields = {
  to_number: e164("to_number"),
  from_number: e164("from_number").optional(),
  call_metadata: callMetadata.optional(),
  delay_seconds: z
    .number({ error: "delay_seconds must be a number" })
    .min(0, "delay_seconds must be at least 0")
    .max(30 * 86_400, "delay_seconds must be at most 30 days")
    .optional(),
  /** The TwiML `Url`; default `${publicBaseUrl}/webhooks/twilio/voice`. */
  webhook_url: httpUrl("webhook_url").optional(),
  /** Default `${publicBaseUrl}/webhooks/twilio/call-status`. */
  status_callback_url: httpUrl("status_callback_url").optional(),
  /** A campaign's public id: the call joins that running campaign. */
  campaign_id: z.uuid({ error: "campaign_id must be a campaign id (UUID)" }).optional(),
};

export const queueOutboundCallPayload = z
  .strictObject({
    ...outboundCallFields,
    to_number: outboundCallFields.to_number.optional(),
    /** Internal: the public id of the `calls` row (the intent) to dial. */
    call_id: z.uuid({ error: "call_id must be a call id (UUID)" }).optional(),
    /** A caller-given key for the intent; default the execution id. One call per key, ever. */
    intent_key: z.string().min(1).max(200).optional(),
  })
  .refine((payload) => payload.to_number !== undefined || payload.call_id !== undefined, {
    message: "to_number is required",
    path: ["to_number"],
  });
export type QueueOutboundCallPayload = z.output<typeof queueOutboundCallPayload>;

/** Every bad number is reported on its own, as `phone_numbers[3]`. */
const phoneNumbers = z
  .array(z.string({ error: "each phone number must be a string" }), {
    error: "phone_numbers must be a list",
  })
  .min(1, "phone_numbers must not be empty")
  .max(10_000, "phone_numbers must hold at most 10000 numbers")
  .superRefine((numbers, ctx) => {
    numbers.forEach((number, index) => {
      if (!E164_PATTERN.test(number)) {
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `phone_numbers[${index}] must be an E.164 phone number: + then 8 to 15 digits, the first 1-9`,
        });
      }
    });
  });

export const bulkCallFields = {
  phone_numbers: phoneNumbers,
  from_number: e164("from_number").optional(),
  call_metadata: callMetadata.optional(),
  delay_between_calls: z
    .number({ error: "delay_between_calls must be a number of seconds" })
    .min(0, "delay_between_calls must be at least 0")
    .max(86_400, "delay_between_calls must be at most 86400")
    .default(0),
  max_concurrent_calls: z
    .int({ error: "max_concurrent_calls must be a whole number" })
    .min(1, "max_concurrent_calls must be at least 1")
    .max(1000, "max_concurrent_calls must be at most 1000")
    .default(3),
  campaign_name: z.string().min(1).max(200).optional(),
  webhook_url: outboundCallFields.webhook_url,
  status_callback_url: outboundCallFields.status_callback_url,
};

export const queueBulkCallsPayload = z.strictObject({
  ...bulkCallFields,
  /** Internal: the public id the new campaign gets (default the execution id). */
  campaign_id: z.uuid({ error: "campaign_id must be a campaign id (UUID)" }).optional(),
});
export type QueueBulkCallsPayload = z.output<typeof queueBulkCallsPayload>;

/** A time after `epochMs`; one that does not parse is left to the format check to report. */
export const isAfter = (value: string, epochMs: number) =>
  Number.isNaN(Date.parse(value)) || Date.parse(value) > epochMs;

const scheduleTime = isoTimestamp("schedule_time");

export const scheduleCallFields = {
  to_number: outboundCallFields.to_number,
  schedule_time: scheduleTime,
  from_number: outboundCallFields.from_number,
  call_metadata: outboundCallFields.call_metadata,
  webhook_url: outboundCallFields.webhook_url,
  status_callback_url: outboundCallFields.status_callback_url,
};

/**
 * The task's own check allows SCHEDULE_GRACE_MS in the past, so a job that waited in line is not
 * refused when it runs; the HTTP route insists on a time strictly in the future.
 */
export const scheduleCallPayload = z.strictObject({
  ...scheduleCallFields,
  schedule_time: scheduleTime.refine(
    (value) => isAfter(value, Date.now() - SCHEDULE_GRACE_MS),
    "schedule_time must be in the future",
  ),
});
export type ScheduleCallPayload = z.output<typeof scheduleCallPayload>;

export const endCallPayload = z.strictObject({ call_sid: callSid() });
export const getCallStatusPayload = z.strictObject({ call_sid: callSid() });

export const retryFailedCallPayload = z
  .strictObject({
    /** The execution (task id) of the queue_outbound_call that placed the failed call. */
    original_task_id: z.uuid({ error: "original_task_id must be a task id (UUID)" }).optional(),
    call_id: z.uuid({ error: "call_id must be a call id (UUID)" }).optional(),
    /** Without the others: the latest call to this number, which must have failed. */
    to_number: e164("to_number").optional(),
    retry_delay: z
      .number({ error: "retry_delay must be a number of seconds" })
      .min(0, "retry_delay must be at least 0")
      .max(7 * 86_400, "retry_delay must be at most 7 days")
      .default(300),
  })
  .refine(
    (payload) =>
      payload.original_task_id !== undefined ||
      payload.call_id !== undefined ||
      payload.to_number !== undefined,
    { message: "give original_task_id, call_id or to_number", path: ["original_task_id"] },
  );
export type RetryFailedCallPayload = z.output<typeof retryFailedCallPayload>;

export const cleanupStaleCallsPayload = z.strictObject({
  max_age_hours: z
    .number({ error: "max_age_hours must be a number" })
    .positive("max_age_hours must be above 0")
    .max(24 * 365, "max_age_hours must be at most a year")
    .default(24),
});
export type CleanupStaleCallsPayload = z.output<typeof cleanupStaleCallsPayload>;
