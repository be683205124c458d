/**
 * A task is a named unit of work: its lane, the zod schema of its payload and its `run`.
 * Task files in `tasks/` are thin: parse, call a function in `src/`, return.
 */
import type { z } from "zod";
import type { Db } from "../database/pool.ts";
import type { Logger } from "../observability/logger.ts";
import type { LaneName } from "./lanes.ts";

export interface TaskContext {
  logger: Logger;
  db: Db;
  /** Aborts on cancel, time limit or shutdown. */
  signal: AbortSignal;
  attempt: number;
}

export interface TaskDefinition<Schema extends z.ZodType = z.ZodType, Result = unknown> {
  /** snake_case, as the seeds name it. */
  name: string;
  lane: LaneName;
  payload: Schema;
  run(payload: z.output<Schema>, ctx: TaskContext): Promise<Result>;
}

export function defineTask<Schema extends z.ZodType, Result>(
  definition: TaskDefinition<Schema, Result>,
): TaskDefinition<Schema, Result> {
  if (!/^[a-z][a-z0-9_]*$/.test(definition.name)) {
    throw new Error(`task name ${JSON.stringify(definition.name)} must be snake_case`);
  }
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tasks of every payload type.
export type AnyTask = TaskDefinition<any, unknown>;
