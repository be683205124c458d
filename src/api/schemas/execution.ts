/**
 * How an execution looks over HTTP. `task_id` is the execution's public id (Celery clients call
 * it the task id); `celery_status` gives the status in Celery's words for clients moving over.
 */
import { z } from "@hono/zod-openapi";
import type { Execution, ExecutionAttempt, ExecutionStatus } from "../../database/schema.ts";

export const celeryStatusOf: Record<ExecutionStatus, string> = {
  queued: "PENDING",
  scheduled: "PENDING",
  running: "STARTED",
  retrying: "RETRY",
  succeeded: "SUCCESS",
  dead: "FAILURE",
  cancelled: "REVOKED",
  expired: "REVOKED",
};

export const ExecutionErrorSchema = z
  .object({
    class: z.string(),
    message: z.string().nullable(),
    stack: z.string().nullable().optional(),
  })
  .nullable()
  .openapi("ExecutionError");

export const ExecutionSchema = z
  .object({
    task_id: z.uuid(),
    task_name: z.string(),
    lane: z.string(),
    status: z.string(),
    celery_status: z.string(),
    payload: z.unknown(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    progress: z.number().nullable(),
    progress_message: z.string().nullable(),
    result: z.unknown(),
    error: ExecutionErrorSchema,
    worker_id: z.string().nullable(),
    correlation_id: z.string().nullable(),
    parent_id: z.string().nullable(),
    cancel_requested: z.boolean(),
    created_at: z.string(),
    run_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    duration_seconds: z.number().nullable(),
  })
  .openapi("Execution");

export const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    outcome: z.string(),
    worker_id: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    error_class: z.string().nullable(),
    error_message: z.string().nullable(),
  })
  .openapi("ExecutionAttempt");

export type ExecutionView = z.infer<typeof ExecutionSchema>;

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export function toExecutionView(row: Execution, options: { stack?: boolean } = {}): ExecutionView {
  return {
    task_id: row.public_id,
    task_name: row.task_name,
    lane: row.lane,
    status: row.status,
    celery_status: celeryStatusOf[row.status],
    payload: row.payload,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    progress: row.progress,
    progress_message: row.progress_message,
    result: row.result,
    error: row.error_class
      ? {
          class: row.error_class,
          message: row.error_message,
          ...(options.stack ? { stack: row.error_stack } : {}),
        }
      : null,
    worker_id: row.worker_id,
    correlation_id: row.correlation_id,
    parent_id: row.parent_id,
    cancel_requested: row.cancel_requested_at !== null,
    created_at: row.created_at.toISOString(),
    run_at: row.run_at.toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    expires_at: iso(row.expires_at),
    duration_seconds:
      row.started_at && row.finished_at
        ? (row.finished_at.getTime() - row.started_at.getTime()) / 1000
        : null,
  };
}

export function toAttemptView(row: ExecutionAttempt): z.infer<typeof AttemptSchema> {
  return {
    attempt: row.attempt,
    outcome: row.outcome,
    worker_id: row.worker_id,
    started_at: row.started_at.toISOString(),
    finished_at: iso(row.finished_at),
    error_class: row.error_class,
    error_message: row.error_message,
  };
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .openapi("Error");

/** The error responses every protected route may give. */
export const errorResponses = {
  400: { description: "Invalid input", content: { "application/json": { schema: ErrorSchema } } },
  401: {
    description: "Missing or invalid token",
    content: { "application/json": { schema: ErrorSchema } },
  },
  403: {
    description: "Token lacks the scope",
    content: { "application/json": { schema: ErrorSchema } },
  },
  429: { description: "Rate limited", content: { "application/json": { schema: ErrorSchema } } },
} as const;

export const notFoundResponse = {
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
} as const;
