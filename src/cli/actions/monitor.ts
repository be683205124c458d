/** What `switchboard monitor` runs: one view printed once, or the watch loop. */
import { tasks } from "../../../tasks/index.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { defaultHealthThresholds } from "../../monitoring/health.ts";
import { colourWanted, palette } from "../colour.ts";
import { withRuntime } from "../runtime.ts";
import { failuresText, healthText, queuesText, slowText, taskText } from "./monitorFormat.ts";
import { type MonitorOptions, monitorView } from "./monitorOptions.ts";
import { failuresRead, healthRead, queuesRead, slowRead, taskRead } from "./monitorReads.ts";
import { watch } from "./monitorWatch.ts";

export async function monitor(options: MonitorOptions): Promise<void> {
  const view = monitorView(options);
  if (view.kind === "task" && !new TaskRegistry(tasks).get(view.task)) {
    throw new Error(`--task: unknown task "${view.task}"`);
  }
  const json = !!options.json;
  const paint = palette(!json && colourWanted(process.stdout));
  const exitWhenDone = true;
  await withRuntime(
    "cli",
    { migrate: false, exitWhenDone },
    async ({ config, database, lifecycle }) => {
      const db = database.db;
      const thresholds = { ...defaultHealthThresholds, silentAfterMs: config.worker.silentAfterMs };
      const print = (value: unknown, text: () => string) =>
        process.stdout.write(json ? `${JSON.stringify(value)}\n` : text());
      switch (view.kind) {
        case "summary": {
          const [health, queues] = await Promise.all([
            view.health ? healthRead(db, thresholds) : undefined,
            view.queues ? queuesRead(db, thresholds) : undefined,
          ]);
          print({ health, queues }, () =>
            [health && healthText(health, paint), queues && queuesText(queues, paint)]
              .filter(Boolean)
              .join("\n"),
          );
          return;
        }
        case "slow": {
          const slow = await slowRead(db, view.threshold);
          print(slow, () => slowText(slow, paint));
          return;
        }
        case "failures": {
          const failures = await failuresRead(db, view.hours);
          print(failures, () => failuresText(failures, paint));
          return;
        }
        case "task": {
          const task = await taskRead(db, view.task, view.days);
          print(task, () => taskText(task, paint));
          return;
        }
        case "watch":
          await watch({ db, thresholds, intervalMs: view.intervalMs, json, lifecycle });
          return;
      }
    },
  );
}
