/**
 * A task is a named unit of work: its lane, the zod schema of its payload, how it is retried and
 * limited, and its `run`. Task files in `tasks/` are thin: parse, call a function in `src/`, return.
 */
import type { z } from "zod";
import type { Db } from "../database/pool.ts";
import type { Logger } from "../observability/logger.ts";
import type { Services } from "../services.ts";
import type { EnqueueOptions } from "./enqueue.ts";
import type { LaneName } from "./lanes.ts";
import { parseRateLimit } from "./limits/rateLimit.ts";
import type { RetryStrategy } from "./retryStrategies.ts";

export interface TaskContext {
  logger: Logger;
  db: Db;
  /** Aborts on cancel, soft time limit or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  /** 1 for the first attempt. */
  attempt: number;
  /** The execution's public id (UUID). */
  executionId: string;
  /** Records progress (0-100) for status lookups and live views; throttled and batched. */
  progress(percent: number, message?: string): void;
  /** Twilio and the recording store; throws if the worker was started without them. */
  services: Services;
  /** Enqueues a follow-up job whose parent is this execution. */
  enqueue<S extends z.ZodType>(
    task: TaskDefinition<S>,
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

export interface TaskDefinition<Schema extends z.ZodType = z.ZodType, Result = unknown> {
  /** snake_case, as the seeds name it. */
  name: string;
  lane: LaneName;
  payload: Schema;
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
  run(payload: z.output<Schema>, ctx: TaskContext): Promise<Result>;
}

export const taskDefaults = {
  maxAttempts: 3,
  retry: { kind: "by_error_class" } as RetryStrategy,
  softTimeLimitMs: 25 * 60_000,
  hardTimeLimitMs: 30 * 60_000,
};

export function defineTask<Schema extends z.ZodType, Result>(
  definition: TaskDefinition<Schema, Result>,
): TaskDefinition<Schema, Result> {
  if (!/^[a-z][a-z0-9_]*$/.test(definition.name)) {
    throw new Error(`task name ${JSON.stringify(definition.name)} must be snake_case`);
  }
  const { softTimeLimitMs, hardTimeLimitMs, maxAttempts } = { ...taskDefaults, ...definition };
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`task ${definition.name}: maxAttempts must be a positive integer`);
  }
  if (definition.rateLimit) {
    parseRateLimit(definition.rateLimit.limit, `task ${definition.name}: rateLimit.limit`);
  }
  if (
    definition.concurrency &&
    !(Number.isInteger(definition.concurrency.max) && definition.concurrency.max >= 1)
  ) {
    throw new Error(`task ${definition.name}: concurrency.max must be a positive integer`);
  }
  if (softTimeLimitMs > hardTimeLimitMs) {
    throw new Error(`task ${definition.name}: softTimeLimitMs must not exceed hardTimeLimitMs`);
  }
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tasks of every payload type.
export type AnyTask = TaskDefinition<any, unknown>;
