/** How the testing helpers name a task: the task itself, or its name. */
import type { AnyTask } from "../engine/types.ts";

export type TaskRef = AnyTask | string;

export function taskNameOf(task: TaskRef): string {
  const name = typeof task === "string" ? task : task?.name;
  if (typeof name !== "string" || name.length === 0) {
    throw new Error("task: give a task or a non-empty task name");
  }
  return name;
}
