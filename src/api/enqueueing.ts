/**
 * What routes that enqueue a task share: finding the task in the registry, answering a refused
 * enqueue with the API's 400 naming the field, and where a client follows the job it started.
 */
import { CallInputError } from "../calls/callIntents.ts";
import { EnqueueError } from "../engine/errors.ts";
import type { TaskRegistry } from "../engine/registry.ts";
import type { AnyTask } from "../engine/task.ts";
import { ApiError } from "./errors.ts";

/** The task `name`; a 503 if this process does not register it. */
export function registeredTask(registry: TaskRegistry, name: string): AnyTask {
  const found = registry.get(name);
  if (!found) throw new ApiError(503, "unavailable", `The task ${name} is not registered`);
  return found;
}

/** Turns refusals found after the body was parsed into the API's 400. */
export function asBadRequest(error: unknown): never {
  if (error instanceof CallInputError) {
    throw new ApiError(400, "validation_failed", `Invalid request: ${error.path}`, [
      { path: error.path, message: error.message },
    ]);
  }
  if (error instanceof EnqueueError) {
    throw new ApiError(
      400,
      "validation_failed",
      `Invalid request: ${error.issues.map((issue) => issue.path).join(", ")}`,
      error.issues,
    );
  }
  throw error;
}

/** Seed 000's status lookup of a task id. */
export const taskStatusUrl = (taskId: string) => `/api/tasks/status/${taskId}/`;
