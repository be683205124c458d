/**
 * A worker process serves the lanes of its worker type: one graphile-worker runner per lane,
 * with that lane's concurrency and only that lane's tasks, all over one shared pg Pool.
 * The scheduler (crontab) rides on the first runner when asked for.
 */
import { type Task as GraphileTask, type ParsedCronItem, type Runner, run } from "graphile-worker";
import { createDb, type Pool } from "../database/pool.ts";
import { toGraphileLogger } from "../observability/graphileLogger.ts";
import type { Logger } from "../observability/logger.ts";
import { defaultLanes, type LaneName, lanesByWorkerType, type WorkerType } from "./lanes.ts";
import type { TaskRegistry } from "./registry.ts";
import type { AnyTask } from "./task.ts";

export interface WorkerOptions {
  pool: Pool;
  registry: TaskRegistry;
  type: WorkerType;
  logger: Logger;
  /** Cron items to schedule from this process; none means no scheduler here. */
  cronItems?: ParsedCronItem[];
  /** Milliseconds running jobs get to finish on shutdown. */
  shutdownGraceMs?: number;
}

export interface Worker {
  lanes: LaneName[];
  stop(): Promise<void>;
  /** Settles when every runner has stopped. */
  finished: Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { pool, registry, type, logger } = options;
  const db = createDb(pool);
  const lanes = lanesByWorkerType[type].filter((lane) => registry.inLane(lane).length > 0);
  const runners: Runner[] = [];
  let cronItems = options.cronItems;
  for (const lane of lanes) {
    const taskList = Object.fromEntries(
      registry.inLane(lane).map((task) => [task.name, toGraphileTask(task, db, logger)]),
    );
    runners.push(
      await run({
        pgPool: pool,
        taskList,
        concurrency: defaultLanes[lane].concurrency,
        noHandleSignals: true,
        parsedCronItems: cronItems ?? [],
        gracefulShutdownAbortTimeout: options.shutdownGraceMs ?? 30_000,
        logger: toGraphileLogger(logger.child({ lane })),
      }),
    );
    cronItems = undefined;
  }
  logger.info({ workerType: type, lanes }, "worker started");
  return {
    lanes,
    stop: async () => {
      await Promise.all(runners.map((runner) => runner.stop()));
    },
    finished: Promise.all(runners.map((runner) => runner.promise)).then(() => {}),
  };
}

function toGraphileTask(
  task: AnyTask,
  db: ReturnType<typeof createDb>,
  logger: Logger,
): GraphileTask {
  return async (payload, helpers) => {
    const parsed = task.payload.parse(payload ?? {});
    await task.run(parsed, {
      db,
      logger: logger.child({ task: task.name, jobId: helpers.job.id }),
      signal: helpers.abortSignal,
      attempt: helpers.job.attempts,
    });
  };
}
