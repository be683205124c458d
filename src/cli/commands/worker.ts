import { Command, Option } from "commander";
import { tasks } from "../../../tasks/index.ts";
import type { CallCenterServices } from "../../callCenter/services.ts";
import { loadCronItems } from "../../engine/crontab.ts";
import { type WorkerType, workerTypes } from "../../engine/lanes.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { startWorker } from "../../engine/worker.ts";
import { openServices } from "../openServices.ts";
import { type Runtime, withRuntime } from "../runtime.ts";

export async function startWorkerProcess(
  { config, database, logger, lifecycle }: Runtime,
  options: { type: WorkerType; scheduler: boolean; services: CallCenterServices },
): Promise<void> {
  const registry = new TaskRegistry(tasks);
  const cronItems = options.scheduler
    ? await loadCronItems(config.crontabFile, registry)
    : undefined;
  const worker = await startWorker({
    pool: database.pool,
    registry,
    type: options.type,
    logger,
    cronItems,
    services: options.services,
    shutdownGraceMs: config.shutdownGraceMs,
    heartbeatIntervalMs: config.worker.heartbeatIntervalMs,
    silentAfterMs: config.worker.silentAfterMs,
    maxJobs: config.worker.maxJobs,
    maxRssBytes: config.worker.maxRssBytes,
    lanes: Object.fromEntries(
      Object.entries(config.worker.laneConcurrency).map(([lane, concurrency]) => [
        lane,
        { concurrency },
      ]),
    ),
    // A recycled worker exits so that its supervisor starts a fresh one.
    onRecycled: () => void lifecycle.stop().then(() => process.exit(0)),
  });
  lifecycle.onStop(() => worker.stop());
  if (cronItems)
    logger.info({ crontab: config.crontabFile, items: cronItems.length }, "scheduler started");
}

export const workerCommand = new Command("worker")
  .description("run a worker serving the lanes of one worker type")
  .addOption(
    new Option("-t, --type <type>", "worker type (default: WORKER_TYPE, else all)").choices(
      workerTypes,
    ),
  )
  .option("--scheduler", "also run the crontab scheduler in this process", false)
  .action((options: { type?: WorkerType; scheduler: boolean }) =>
    withRuntime("worker", { migrate: false }, async (runtime) =>
      startWorkerProcess(runtime, {
        type: options.type ?? runtime.config.workerType,
        scheduler: options.scheduler,
        services: await openServices(runtime.config, runtime.logger, runtime.lifecycle),
      }),
    ),
  );
