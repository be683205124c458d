/**
 * `switchboard monitor`: seed 000's `monitor_tasks`. One view per flag (`--health`, `--queues`,
 * `--slow`, `--failures`, `--task`), none: health and queues; `--watch` redraws the whole
 * picture every `--interval` seconds. `--json` for scripts.
 */
import { Command, InvalidArgumentError } from "commander";
import { maxTrendDays } from "../../monitoring/taskTrends.ts";
import type { MonitorOptions } from "../actions/monitorOptions.ts";

function numberFrom(min: number, max: number, whole: boolean) {
  return (value: string): number => {
    const n = Number(value);
    const pattern = whole ? /^\d+$/ : /^\d+(\.\d+)?$/;
    if (!pattern.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(
        `expected ${whole ? "a whole number" : "a number"} from ${min} to ${max}, got "${value}"`,
      );
    }
    return n;
  };
}

export const monitorCommand = new Command("monitor")
  .description("show health, lanes, slow executions, failures or a task's trends; --watch redraws")
  .option("--health", "the health verdict, its reasons and open alerts")
  .option("--queues", "lanes: backlog, running, oldest wait, paused")
  .option("--slow", "running executions over --threshold seconds")
  .option("--threshold <seconds>", "with --slow (default 60)", numberFrom(1, 86_400, false))
  .option("--failures", "failures of the last --hours, by task and error class")
  .option("--hours <hours>", "with --failures (default 48)", numberFrom(1, 720, true))
  .option("--task <name>", "a task's recent executions, success rate, durations and daily trend")
  .option(
    "--days <days>",
    `with --task (default 7, at most ${maxTrendDays})`,
    numberFrom(1, maxTrendDays, true),
  )
  .option("--watch", "a full-screen view refreshed every --interval seconds (q leaves)")
  .option("--interval <seconds>", "with --watch (default 2)", numberFrom(0.2, 3600, false))
  .option("--json", "one JSON document (with --watch, one JSON line per refresh)")
  .action((options: MonitorOptions) =>
    import("../actions/monitor.ts").then((run) => run.monitor(options)),
  );
