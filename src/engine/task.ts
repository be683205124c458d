/**
 * `defineTask` checks a task's declaration and resolves its defaults. Task files in `tasks/` are
 * thin: parse, call a function in `src/`, return. The types live in `types.ts`.
 *
 * @example
 * export default defineTask({
 *   name: "render_report",
 *   lane: "reports",
 *   payload: z.object({ report_id: z.number() }),
 *   run: (payload, ctx) => renderReport(ctx.db, payload.report_id, ctx.signal),
 * });
 */
import type { z } from "zod";
import { parseRateLimit } from "../shared/rateLimitSpec.ts";
import { checkPositionalArgs } from "./positionalArgs.ts";
import type { RetryStrategy } from "./retryStrategies.ts";
import type { Task, TaskDefinition } from "./types.ts";

export type { AnyTask, Task, TaskContext, TaskDefinition } from "./types.ts";

export const taskDefaults = {
  maxAttempts: 3,
  retry: { kind: "by_error_class" } as RetryStrategy,
  softTimeLimitMs: 25 * 60_000,
  hardTimeLimitMs: 30 * 60_000,
};

/**
 * Returns the task with its defaults resolved. `Services` types `ctx.services`; an application
 * fixes it once in its own wrapper (the call center's is `defineCallCenterTask`).
 */
export function defineTask<Schema extends z.ZodType, Result, Services = unknown>(
  definition: TaskDefinition<Schema, Result, Services>,
): Task<Schema, Result, Services> {
  if (!/^[a-z][a-z0-9_]*$/.test(definition.name)) {
    throw new Error(`task name ${JSON.stringify(definition.name)} must be snake_case`);
  }
  const task = {
    ...definition,
    maxAttempts: definition.maxAttempts ?? taskDefaults.maxAttempts,
    retry: definition.retry ?? taskDefaults.retry,
    softTimeLimitMs: definition.softTimeLimitMs ?? taskDefaults.softTimeLimitMs,
    hardTimeLimitMs: definition.hardTimeLimitMs ?? taskDefaults.hardTimeLimitMs,
  };
  if (!Number.isInteger(task.maxAttempts) || task.maxAttempts < 1) {
    throw new Error(`task ${task.name}: maxAttempts must be a positive integer`);
  }
  if (task.rateLimit) {
    parseRateLimit(task.rateLimit.limit, `task ${task.name}: rateLimit.limit`);
  }
  if (task.concurrency && !(Number.isInteger(task.concurrency.max) && task.concurrency.max >= 1)) {
    throw new Error(`task ${task.name}: concurrency.max must be a positive integer`);
  }
  if (task.softTimeLimitMs > task.hardTimeLimitMs) {
    throw new Error(`task ${task.name}: softTimeLimitMs must not exceed hardTimeLimitMs`);
  }
  checkPositionalArgs(task);
  return task;
}
