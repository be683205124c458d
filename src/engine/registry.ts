import type { LaneName } from "./lanes.ts";
import type { AnyTask } from "./types.ts";

/** The tasks a process knows, by name. */
export class TaskRegistry {
  readonly #tasks = new Map<string, AnyTask>();

  constructor(tasks: Iterable<AnyTask>) {
    for (const task of tasks) {
      if (this.#tasks.has(task.name)) throw new Error(`task ${task.name} is defined twice`);
      this.#tasks.set(task.name, task);
    }
  }

  get(name: string): AnyTask | undefined {
    return this.#tasks.get(name);
  }

  all(): AnyTask[] {
    return [...this.#tasks.values()];
  }

  inLane(lane: LaneName): AnyTask[] {
    return this.all().filter((task) => task.lane === lane);
  }
}
