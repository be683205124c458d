/**
 * A worker process serves the lanes of its worker type: one graphile-worker runner per lane,
 * with that lane's concurrency and only that lane's tasks, all over one shared pg Pool.
 * Around the runners it keeps the ledger writer, a heartbeat (which also sweeps up after
 * silent workers, parks the jobs of tasks no live worker knows and, every `silentAfterMs`, ends
 * executions whose job is gone), a listener for cancel requests and lane pauses, and optional
 * recycling.
 * The scheduler (crontab) rides on the first runner when asked for.
 */

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { type ParsedCronItem, type Runner, run, type WorkerEvents } from "graphile-worker";
import { listenForNotifications } from "../database/listen.ts";
import { createDb, type Pool } from "../database/pool.ts";
import { toGraphileLogger } from "../observability/graphileLogger.ts";
import type { Logger } from "../observability/logger.ts";
import { CANCEL_CHANNEL } from "./control/cancel.ts";
import { LANES_CHANNEL, laneListPaused } from "./control/laneState.ts";
import { recoverSilentWorkers } from "./fleet/crashRecovery.ts";
import { beat, markWorkerStopped, registerWorker } from "./fleet/heartbeat.ts";
import { UnknownTaskSweeper } from "./fleet/unknownTasks.ts";
import { defaultWorkerSilentAfterMs } from "./fleet/workerAlive.ts";
import {
  AbortReason,
  type JobRunnerDependencies,
  type RunningJobs,
  toGraphileTask,
} from "./jobRunner.ts";
import {
  defaultLanes,
  type LaneName,
  type LaneSettings,
  lanesByWorkerType,
  type WorkerType,
} from "./lanes.ts";
import { LedgerWriter } from "./ledger/ledgerWriter.ts";
import { reconcileVanishedJobs } from "./ledger/reconcile.ts";
import { sharedLimitsAdmission } from "./limits/admission.ts";
import type { TaskRegistry } from "./registry.ts";

export interface WorkerOptions<Services = unknown> {
  pool: Pool;
  registry: TaskRegistry;
  type: WorkerType;
  logger: Logger;
  /** Per-lane overrides of priority and concurrency. */
  lanes?: Partial<Record<LaneName, Partial<LaneSettings>>>;
  /** Cron items to schedule from this process; none means no scheduler here. */
  cronItems?: ParsedCronItem[];
  /** Milliseconds running jobs get to finish on shutdown before their signals abort. */
  shutdownGraceMs?: number;
  heartbeatIntervalMs?: number;
  /** A worker silent this long is presumed dead and its jobs are freed. */
  silentAfterMs?: number;
  /** Drain and stop after this many jobs (0: never). */
  maxJobs?: number;
  /** Drain and stop once the resident set exceeds this many bytes (0: never). */
  maxRssBytes?: number;
  /** Called once when `maxJobs` or `maxRssBytes` is reached, after the worker drained. */
  onRecycled?: (reason: string) => void;
  /** How jobs are held back by shared limits; default: the tasks' rate limits and leases. */
  admission?: Pick<JobRunnerDependencies<Services>, "admit" | "release">;
  /** graphile-worker tuning (local queue, batched completion), passed through. */
  preset?: GraphileConfig.WorkerOptions;
  /** What the application gives its tasks as `ctx.services`. */
  services?: Services;
  /** How often the ledger writer flushes, in ms. */
  ledgerFlushMs?: number;
  /** graphile-worker's event emitter for this worker's runners, to observe them; made if not given. */
  events?: WorkerEvents;
}

export interface Worker {
  id: string;
  lanes: LaneName[];
  running: RunningJobs;
  stop(): Promise<void>;
}

export async function startWorker<Services>(options: WorkerOptions<Services>): Promise<Worker> {
  const { pool, registry, type, logger } = options;
  const db = createDb(pool);
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const workerLogger = logger.child({ workerId: id });
  const lanes = lanesByWorkerType[type].filter((lane) => registry.inLane(lane).length > 0);
  const ledger = new LedgerWriter({
    db,
    workerId: id,
    logger: workerLogger,
    flushIntervalMs: options.ledgerFlushMs,
  });
  const running: RunningJobs = new Map();
  const graphileWorkerIds = new Set<string>();
  let jobsDone = 0;
  let paused = await laneListPaused(db);
  let stopping: Promise<void> | undefined;

  const tasks = registry.all().map((task) => task.name);
  await registerWorker(db, id, { type, lanes, tasks });

  const events: WorkerEvents = options.events ?? new EventEmitter();
  events.on("pool:create", ({ workerPool }) => graphileWorkerIds.add(workerPool.id));
  events.on("worker:create", ({ worker }) => graphileWorkerIds.add(worker.workerId));

  const listener = await listenForNotifications(pool, {
    logger: workerLogger,
    handlers: {
      [CANCEL_CHANNEL]: (payload) => {
        running.get(Number(payload))?.abort(new AbortReason("cancelled"));
      },
      [LANES_CHANNEL]: () => {
        void laneListPaused(db).then((next) => {
          paused = next;
        });
      },
    },
  });

  const recycleCheck = () => {
    const limitJobs = options.maxJobs ?? 0;
    const limitRss = options.maxRssBytes ?? 0;
    const reason =
      limitJobs > 0 && jobsDone >= limitJobs
        ? `ran ${jobsDone} jobs (limit ${limitJobs})`
        : limitRss > 0 && process.memoryUsage.rss() > limitRss
          ? `resident memory above ${Math.round(limitRss / 1048576)} MB`
          : undefined;
    if (reason && !stopping) {
      workerLogger.info({ reason }, "recycling worker");
      void stop().then(() => options.onRecycled?.(reason));
    }
  };

  const deps: JobRunnerDependencies<Services> = {
    db,
    ledger,
    workerId: id,
    logger: workerLogger,
    running,
    ...(options.admission ?? sharedLimitsAdmission(db)),
    ...(options.services ? { services: options.services } : {}),
    onJobDone: () => {
      jobsDone++;
      recycleCheck();
    },
  };

  const runners: Runner[] = [];
  let cronItems = options.cronItems;
  for (const lane of lanes) {
    const settings = { ...defaultLanes[lane], ...options.lanes?.[lane] };
    const taskList = Object.fromEntries(
      registry.inLane(lane).map((task) => [task.name, toGraphileTask(task, deps)]),
    );
    runners.push(
      await run({
        pgPool: pool,
        taskList,
        concurrency: settings.concurrency,
        noHandleSignals: true,
        events,
        forbiddenFlags: () => (paused.has(lane) ? [lane] : null),
        parsedCronItems: cronItems ?? [],
        logger: toGraphileLogger(workerLogger.child({ lane })),
        preset: {
          worker: {
            gracefulShutdownAbortTimeout: options.shutdownGraceMs ?? 30_000,
            ...options.preset,
          },
        },
      }),
    );
    cronItems = undefined;
  }

  const heartbeatMs = options.heartbeatIntervalMs ?? 5_000;
  const silentAfterMs = options.silentAfterMs ?? defaultWorkerSilentAfterMs;
  // The first sweep comes one period after start, like every later one.
  let reconciledAt = Date.now();
  const unknownTasks = new UnknownTaskSweeper(db, { silentAfterMs });
  const heartbeat = setInterval(() => {
    void (async () => {
      await beat(db, id, {
        runningJobs: running.size,
        jobsDone,
        graphileWorkerIds: [...graphileWorkerIds],
      });
      const recovered = await recoverSilentWorkers(db, silentAfterMs);
      for (const worker of recovered)
        workerLogger.warn(worker, "freed the jobs of a silent worker");
      if (Date.now() - reconciledAt >= silentAfterMs) {
        reconciledAt = Date.now();
        const ended = await reconcileVanishedJobs(db);
        if (ended > 0)
          workerLogger.warn({ executions: ended }, "ended executions whose job is gone");
      }
      paused = await laneListPaused(db);
      recycleCheck();
      const moved = await unknownTasks.sweep();
      if (moved.parked + moved.unparked > 0)
        workerLogger.warn(moved, "parked or unparked jobs of tasks no live worker knows");
    })().catch((error) => workerLogger.error({ err: error }, "heartbeat failed"));
  }, heartbeatMs);
  heartbeat.unref();
  // The first beat records graphile-worker's ids as soon as the runners have made them.
  await beat(db, id, { runningJobs: 0, jobsDone: 0, graphileWorkerIds: [...graphileWorkerIds] });

  workerLogger.info({ workerType: type, lanes }, "worker started");

  function stop(): Promise<void> {
    stopping ??= (async () => {
      clearInterval(heartbeat);
      await Promise.all(runners.map((runner) => runner.stop().catch(() => {})));
      await ledger.flush();
      await listener.close();
      await markWorkerStopped(db, id);
      workerLogger.info({ jobsDone }, "worker stopped");
    })();
    return stopping;
  }

  return { id, lanes, running, stop };
}
