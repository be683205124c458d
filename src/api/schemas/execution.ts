/**
 * How an execution looks over HTTP. `task_id` is the execution's public id (Celery clients call
 * it the task id); `celery_status` gives the status in Celery's words for clients moving over.
 * Lists give summaries: everything but the payload and the result, which can be large and are
 * served by the routes for one execution.
 */
import { z } from "@hono/zod-openapi";
import type { ExecutionAttempt } from "../../database/schema.ts";
import { isoMillis } from "../../database/timestamps.ts";
import type { ExecutionStatus } from "../../engine/executionStatus.ts";
import type { ExecutionRow, ExecutionSummaryRow } from "../../executions/queries.ts";

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

export const ExecutionSummarySchema = z
  .object({
    task_id: z.uuid(),
    task_name: z.string(),
    lane: z.string(),
    status: z.string(),
    celery_status: z.string(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    progress: z.number().nullable(),
    progress_message: z.string().nullable(),
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
  .openapi("ExecutionSummary");

export const ExecutionSchema = ExecutionSummarySchema.extend({
  payload: z.unknown(),
  result: z.unknown(),
}).openapi("Execution");

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

export type ExecutionSummary = z.infer<typeof ExecutionSummarySchema>;
export type ExecutionView = z.infer<typeof ExecutionSchema>;

export function toExecutionSummary(row: ExecutionSummaryRow): ExecutionSummary {
  const startedAt = isoMillis(row.started_at);
  const finishedAt = isoMillis(row.finished_at);
  return {
    task_id: row.public_id,
    task_name: row.task_name,
    lane: row.lane,
    status: row.status,
    celery_status: celeryStatusOf[row.status],
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    progress: row.progress,
    progress_message: row.progress_message,
    error: row.error_class ? { class: row.error_class, message: row.error_message } : null,
    worker_id: row.worker_id,
    correlation_id: row.correlation_id,
    parent_id: row.parent_id,
    cancel_requested: row.cancel_requested,
    created_at: isoMillis(row.created_at),
    run_at: isoMillis(row.run_at),
    started_at: startedAt,
    finished_at: finishedAt,
    expires_at: isoMillis(row.expires_at),
    // Between the millisecond timestamps shown.
    duration_seconds:
      startedAt && finishedAt ? (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000 : null,
  };
}

/** The whole execution; with `stack`, its last error's stack too. */
export function toExecutionView(
  row: ExecutionRow,
  options: { stack?: boolean } = {},
): ExecutionView {
  const summary = toExecutionSummary(row);
  const error =
    summary.error && options.stack ? { ...summary.error, stack: row.error_stack } : summary.error;
  return { ...summary, error, payload: row.payload, result: row.result };
}

const iso = (value: Date | null) => (value ? value.toISOString() : null);

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
