/** What `switchboard scheduler` runs: the crontab alone, for a deployment's scheduler service. */
import { tasks } from "../../../tasks/index.ts";
import { loadCronItems } from "../../engine/crontab.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { startScheduler } from "../../engine/scheduler.ts";
import { withRuntime } from "../runtime.ts";

export function runScheduler(): Promise<void> {
  return withRuntime(
    "scheduler",
    { migrate: false },
    async ({ config, database, logger, lifecycle }) => {
      const cronItems = await loadCronItems(config.crontabFile, new TaskRegistry(tasks));
      const scheduler = await startScheduler({ pool: database.pool, cronItems, logger });
      lifecycle.onStop(() => scheduler.stop());
      logger.info({ crontab: config.crontabFile, items: cronItems.length }, "scheduler started");
    },
  );
}
