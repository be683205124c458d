/**
 * The engine's types. Its vocabulary, kept distinct everywhere (code, API, docs):
 *
 * - **task**: a named unit of work (`process_call_recording`), snake_case as the seeds name it.
 *   Declares its lane, payload schema, max attempts, retry strategy and time limits.
 * - **job**: one enqueued run of a task: a row in graphile-worker's tables while it is pending
 *   or running. graphile-worker deletes it when it ends.
 * - **execution**: the durable record of a job in the `executions` ledger; it outlives the job
 *   row, and gets a new job when it is retried, snoozed or held back by a shared limit.
 * - **lane**: what Celery calls a queue (`webhooks`, `realtime`, …): a priority and a
 *   concurrency. Every task belongs to one. Not a graphile-worker queue name.
 * - **worker type**: a process role serving a set of lanes (`realtime`, `processing`,
 *   `reports`, `maintenance`, or `all`).
 * - **call queue**: the call center's queue of callers. Never "queue" alone in code.
 *
 * The engine knows nothing of the application it runs: tasks reach the application's own
 * services (Twilio, a store, …) through `ctx.services`, typed by the `Services` parameter.
 */
import type { z } from "zod";
import type { Db } from "../database/pool.ts";
import type { Logger } from "../observability/logger.ts";
import type { LaneName } from "../shared/lanes.ts";
import type { RetryStrategy } from "./retryStrategies.ts";

export interface EnqueueOptions {
  /** When to run; default now. */
  runAt?: Date;
  /** Run after this many milliseconds (instead of `runAt`). */
  delayMs?: number;
  /** Higher runs first within the lane; default the lane's priority. */
  priority?: number;
  /** Dedupe: while an execution with this key is live, enqueue returns it instead. */
  jobKey?: string;
  maxAttempts?: number;
  /** A job not started by then is not run and ends `expired`. */
  expiresAt?: Date;
  /** Expire this many milliseconds after the database's now (instead of `expiresAt`). */
  expiresInMs?: number;
  correlationId?: string;
  /** Public id of the execution that enqueued this one. */
  parentId?: string;
}

export interface TaskContext<Services = unknown> {
  logger: Logger;
  db: Db;
  /** Aborts on cancel, soft time limit or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  /** 1 for the first attempt. */
  attempt: number;
  /** The execution's own max attempts (its enqueue option, else the task's); `attempt` reaches it last. */
  maxAttempts: number;
  /** The execution's public id (UUID). */
  executionId: string;
  /** The task this job runs (`name` of its definition). */
  taskName: string;
  /** Records progress (0-100) for status lookups and live views; throttled and batched. */
  progress(percent: number, message?: string): void;
  /** What the application gave the worker; throws if the worker was started without them. */
  services: Services;
  /** Enqueues a follow-up job whose parent is this execution. */
  enqueue<S extends z.ZodType>(
    task: Task<S>,
    payload: z.input<S>,
    options?: EnqueueOptions,
  ): Promise<string>;
}

export interface RateLimitSpec {
  /** Shared across every task using it, e.g. `twilio.calls`. */
  key: string;
  /** e.g. "1/s", "10/m". */
  limit: string;
}

export interface ConcurrencySpec<Payload> {
  /** A fixed key, or one derived from the payload (e.g. per campaign). */
  key: string | ((payload: Payload) => string);
  /** Running at once per key, across every worker. */
  max: number;
}

/** What a task file declares; `defineTask` turns it into a `Task`. */
export interface TaskDefinition<
  Schema extends z.ZodType = z.ZodType,
  Result = unknown,
  Services = unknown,
> {
  /** snake_case, as the seeds name it. */
  name: string;
  lane: LaneName;
  payload: Schema;
  /**
   * The job's priority within its lane read from the payload, used when the enqueuer gives none
   * (e.g. send_email's `priority: "high"`); undefined: the lane's priority.
   */
  jobPriority?(payload: z.output<Schema>): number | undefined;
  /** Top-level payload fields stored as "[redacted]" in the ledger. */
  secretFields?: string[];
  /** Every attempt counts, the first included. Default 3. */
  maxAttempts?: number;
  /** Default `by_error_class`. */
  retry?: RetryStrategy;
  /** The job's signal aborts at this point so it can clean up. Default 25 minutes. */
  softTimeLimitMs?: number;
  /** The attempt fails at this point and is retried per its strategy. Default 30 minutes. */
  hardTimeLimitMs?: number;
  rateLimit?: RateLimitSpec;
  concurrency?: ConcurrencySpec<z.output<Schema>>;
  /**
   * A crontab run's payload, from the crontab line's and the minute the run was scheduled for,
   * made when the run starts and recorded in its execution: a task whose payload names a period
   * fills it in here, so a late start or a retry days later covers the same period.
   */
  scheduledPayload?(
    payload: Record<string, unknown>,
    scheduledAt: Date,
    services: Services | undefined,
  ): Record<string, unknown>;
  /**
   * The payload fields that positional `args` fill, in order (Celery's `task.delay(123)`), e.g.
   * `["recording_id", "language"]`. Without it, a task takes named arguments only.
   */
  positionalArgs?: readonly string[];
  run(payload: z.output<Schema>, ctx: TaskContext<Services>): Promise<Result>;
}

/** A task as `defineTask` returns it: checked, with every default resolved. */
export type Task<
  Schema extends z.ZodType = z.ZodType,
  Result = unknown,
  Services = unknown,
> = TaskDefinition<Schema, Result, Services> &
  Required<
    Pick<
      TaskDefinition<Schema, Result, Services>,
      "maxAttempts" | "retry" | "softTimeLimitMs" | "hardTimeLimitMs"
    >
  >;

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tasks of every payload and services type.
export type AnyTask = Task<any, unknown, any>;
