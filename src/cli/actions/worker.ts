/** What `switchboard worker` runs, and the worker that `start` and `demo` run too. */
import { tasks } from "../../../tasks/index.ts";
import type { CallCenterServices } from "../../callCenter/services.ts";
import { loadCronItems } from "../../engine/crontab.ts";
import type { WorkerType } from "../../engine/lanes.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import type { AnyTask } from "../../engine/types.ts";
import { startWorker } from "../../engine/worker.ts";
import { openServices } from "../openServices.ts";
import { type Runtime, withRuntime } from "../runtime.ts";

export async function startWorkerProcess(
  { config, database, logger, lifecycle }: Runtime,
  options: {
    type: WorkerType;
    scheduler: boolean;
    services?: CallCenterServices;
    /** The tasks it serves (default: the application's). */
    tasks?: AnyTask[];
  },
): Promise<{ id: string }> {
  const registry = new TaskRegistry(options.tasks ?? tasks);
  const cronItems = options.scheduler
    ? await loadCronItems(config.crontabFile, registry, { localTimeZone: config.reportTimeZone })
    : undefined;
  const worker = await startWorker({
    pool: database.pool,
    registry,
    type: options.type,
    logger,
    cronItems,
    ...(options.services ? { services: options.services } : {}),
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
    logger.info(
      {
        crontab: config.crontabFile,
        items: cronItems.length,
        local_time_zone: config.reportTimeZone,
      },
      "scheduler started",
    );
  return { id: worker.id };
}

/** `switchboard worker`. */
export function runWorker(options: { type?: WorkerType; scheduler: boolean }): Promise<void> {
  return withRuntime("worker", { migrate: false }, async (runtime) => {
    // Started by `switchboard start` (src/cli/workerSupervisor.ts): stop when that process is gone.
    if (process.channel) {
      process.channel.unref();
      process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
    }
    await startWorkerProcess(runtime, {
      type: options.type ?? runtime.config.workerType,
      scheduler: options.scheduler,
      services: await openServices(runtime),
    });
  });
}
