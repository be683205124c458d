/**
 * A worker process of the fault suite: what `switchboard worker` runs
 * (src/cli/actions/worker.ts), with the settings of its configuration — the suite starts it with
 * no worker setting in its environment, so the engine's defaults — serving the suite's tasks
 * (faultTasks.ts) instead of the application's. Logs JSON lines on stdout; "fault worker ready"
 * once it serves jobs, and a line saying it recycles before a planned exit (code 0) that its
 * supervisor answers with a fresh process.
 */
import { withRuntime } from "../../src/cli/runtime.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { startWorker } from "../../src/engine/worker.ts";
import { faultTasks } from "./faultTasks.ts";

await withRuntime("worker", { migrate: false }, async ({ config, database, logger, lifecycle }) => {
  const worker = await startWorker({
    pool: database.pool,
    registry: new TaskRegistry(faultTasks),
    type: "all",
    logger,
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
    onRecycled: (reason) => {
      logger.info({ reason }, "worker recycled, exiting for its supervisor");
      void lifecycle.stop().then(() => process.exit(0));
    },
  });
  lifecycle.onStop(() => worker.stop());
  logger.info({ workerId: worker.id }, "fault worker ready");
});
