/** The flags of `switchboard monitor` and the one view they ask for. */

export interface MonitorOptions {
  health?: boolean;
  queues?: boolean;
  slow?: boolean;
  threshold?: number;
  failures?: boolean;
  hours?: number;
  task?: string;
  days?: number;
  watch?: boolean;
  interval?: number;
  json?: boolean;
}

export type MonitorView =
  | { kind: "summary"; health: boolean; queues: boolean }
  | { kind: "slow"; threshold: number }
  | { kind: "failures"; hours: number }
  | { kind: "task"; task: string; days: number }
  | { kind: "watch"; intervalMs: number };

export class MonitorUsageError extends Error {}

/** The view the flags ask for; a flag that does not go with it is named. */
export function monitorView(options: MonitorOptions): MonitorView {
  const views = (["health", "queues", "slow", "failures", "task", "watch"] as const).filter(
    (flag) => options[flag] !== undefined && options[flag] !== false,
  );
  const alone = views.filter((flag) => flag !== "health" && flag !== "queues");
  if (alone.length > 1 || (alone.length === 1 && views.length > 1)) {
    throw new MonitorUsageError(
      `--${views[0]} and --${views[1]} cannot be combined: choose one view`,
    );
  }
  const companions = [
    ["threshold", "slow"],
    ["hours", "failures"],
    ["days", "task"],
    ["interval", "watch"],
  ] as const;
  for (const [option, view] of companions) {
    if (options[option] !== undefined && !options[view]) {
      throw new MonitorUsageError(`--${option} goes with --${view}`);
    }
  }
  if (options.slow) return { kind: "slow", threshold: options.threshold ?? 60 };
  if (options.failures) return { kind: "failures", hours: options.hours ?? 48 };
  if (options.task !== undefined)
    return { kind: "task", task: options.task, days: options.days ?? 7 };
  if (options.watch) return { kind: "watch", intervalMs: (options.interval ?? 2) * 1000 };
  const both = !options.health && !options.queues;
  return { kind: "summary", health: both || !!options.health, queues: both || !!options.queues };
}
