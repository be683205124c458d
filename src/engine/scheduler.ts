/**
 * A process that only schedules: graphile-worker's cron on a runner that serves no task, so it
 * adds the crontab's jobs and never takes one. Any number may run beside the workers (and
 * beside a worker started with `--scheduler`): graphile-worker records each fire in its known
 * crontabs, so every entry is queued once per time it is due.
 */
import { type ParsedCronItem, run } from "graphile-worker";
import type { Pool } from "../database/pool.ts";
import { toGraphileLogger } from "../observability/graphileLogger.ts";
import type { Logger } from "../observability/logger.ts";

export interface Scheduler {
  stop(): Promise<void>;
}

export async function startScheduler(options: {
  pool: Pool;
  cronItems: ParsedCronItem[];
  logger: Logger;
}): Promise<Scheduler> {
  const runner = await run({
    pgPool: options.pool,
    taskList: {},
    concurrency: 1,
    noHandleSignals: true,
    parsedCronItems: options.cronItems,
    logger: toGraphileLogger(options.logger),
  });
  return { stop: () => runner.stop() };
}
