/**
 * The call center's tasks: `defineTask` with `ctx.services` typed as `CallCenterServices`.
 *
 * @example
 * export default defineCallCenterTask({
 *   name: "end_call",
 *   lane: "realtime",
 *   payload: endCallPayload,
 *   run: (payload, ctx) => endCall(ctx.db, ctx.services.twilio, payload),
 * });
 */
import type { z } from "zod";
import { defineTask } from "../engine/task.ts";
import type { Task, TaskContext, TaskDefinition } from "../engine/types.ts";
import type { CallCenterServices } from "./services.ts";

export type CallCenterTaskContext = TaskContext<CallCenterServices>;

export function defineCallCenterTask<Schema extends z.ZodType, Result>(
  definition: TaskDefinition<Schema, Result, CallCenterServices>,
): Task<Schema, Result, CallCenterServices> {
  return defineTask(definition);
}
