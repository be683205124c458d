/**
 * How an execution looks over HTTP. `task_id` is the execution's public id (Celery clients call
 * it the task id); `celery_status` gives the status in Celery's words for clients moving over.
 * Lists give summaries: everything but the payload and the result, which can be large and are
 * served by the routes for one execution.
 */
import { z } from "@hono/zod-openapi";
import { type RawBuilder, type Selection, sql } from "kysely";
import type { Database, ExecutionAttempt, ExecutionStatus } from "../../database/schema.ts";

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

/** `column` as `Date.toISOString()` writes it (UTC, milliseconds), formatted by Postgres. */
function isoTimestamp(column: string): RawBuilder<string | null> {
  return sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

const celeryStatusSql = sql`case status ${sql.join(
  Object.entries(celeryStatusOf).map(
    ([status, celery]) => sql`when ${sql.lit(status)} then ${sql.lit(celery)}`,
  ),
  sql` `,
)} end`;

/** Each summary field and the expression Postgres computes it with, in the order served. */
const summaryFields: [keyof ExecutionSummary, RawBuilder<unknown>][] = [
  ["task_id", sql`public_id`],
  ["task_name", sql`task_name`],
  ["lane", sql`lane`],
  ["status", sql`status`],
  ["celery_status", celeryStatusSql],
  ["attempts", sql`attempts`],
  ["max_attempts", sql`max_attempts`],
  ["progress", sql`progress`],
  ["progress_message", sql`progress_message`],
  [
    "error",
    sql`case when error_class <> '' then json_build_object('class', error_class, 'message', error_message) end`,
  ],
  ["worker_id", sql`worker_id`],
  ["correlation_id", sql`correlation_id`],
  ["parent_id", sql`parent_id`],
  ["cancel_requested", sql`cancel_requested_at is not null`],
  ["created_at", isoTimestamp("created_at")],
  ["run_at", isoTimestamp("run_at")],
  ["started_at", isoTimestamp("started_at")],
  ["finished_at", isoTimestamp("finished_at")],
  ["expires_at", isoTimestamp("expires_at")],
  // Between the millisecond timestamps shown, as in JavaScript.
  [
    "duration_seconds",
    sql`extract(epoch from date_trunc('milliseconds', finished_at)
      - date_trunc('milliseconds', started_at))::float8`,
  ],
];

/**
 * An execution's summary as JSON text, written by Postgres. A list page is sent as these texts
 * joined: no row objects, Dates or re-serialization in the API process, which is most of what
 * a page of 50 would otherwise cost it.
 */
export const executionSummaryJson: RawBuilder<string> = sql<string>`json_build_object(${sql.join(
  summaryFields.map(([field, value]) => sql`${sql.lit(field)}, ${value}`),
)})::text`;

/** What a whole execution is selected as: its summary (JSON text) and the rest. */
export const executionSelection = [
  executionSummaryJson.as("summary"),
  "payload",
  "result",
  "error_stack",
] as const;

export type ExecutionRow = Selection<Database, "executions", (typeof executionSelection)[number]>;

/** The whole execution; with `stack`, its last error's stack too. */
export function toExecutionView(
  row: ExecutionRow,
  options: { stack?: boolean } = {},
): ExecutionView {
  const summary = JSON.parse(row.summary) as ExecutionSummary;
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
