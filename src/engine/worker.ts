/**
 * A worker process serves the lanes of its worker type: one graphile-worker runner per lane,
 * with that lane's concurrency and only that lane's tasks, all over one shared pg Pool.
 * Around the runners it keeps the ledger writer, a listener for cancel requests and lane pauses
 * (whose connection also holds the worker's liveness lock), a heartbeat, a crash-recovery sweep
 * of the workers presumed dead, the parking of jobs of tasks no live worker knows, and, every
 * `silentAfterMs`, the sweeps that end what no worker will (jobs gone, attempts spent, locks
 * leaked in an outage).
 *
 * It rides out database outages: runners retry their fetches, the listener comes back and takes
 * its lock again, and jobs that end while the database is away wait for it before they are
 * recorded. A worker that finds it was declared dead (paused past the silent threshold) abandons
 * what it holds and recycles, as does one whose task overran its hard time limit: recycling is
 * the only way it stops by itself, and its host starts a fresh one (`onRecycled`).
 * The scheduler (crontab) rides on the first runner when asked for.
 */

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { type ParsedCronItem, type Runner, run, type WorkerEvents } from "graphile-worker";
import type { PoolClient } from "pg";
import { listenForNotifications } from "../database/listen.ts";
import { createDb, type Pool } from "../database/pool.ts";
import { toGraphileLogger } from "../observability/graphileLogger.ts";
import type { Logger } from "../observability/logger.ts";
import { CANCEL_CHANNEL } from "./control/cancel.ts";
import { LANES_CHANNEL, laneListPaused } from "./control/laneState.ts";
import { recoverLostWorkers, settleStrandedJobs } from "./fleet/crashRecovery.ts";
import { DatabaseClock } from "./fleet/databaseClock.ts";
import { beat, markWorkerStopped, registerWorker } from "./fleet/heartbeat.ts";
import { leakedAfterMs, settleLeakedJobs } from "./fleet/leakedJobs.ts";
import { holdLivenessLock, newLockKey } from "./fleet/livenessLock.ts";
import { recordLockerIdsPlugin } from "./fleet/lockerIds.ts";
import { rideOutDatabaseOutages } from "./fleet/outageGuard.ts";
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
import { endExhaustedJobs, reconcileVanishedJobs } from "./ledger/reconcile.ts";
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
  /** How often this worker sweeps for workers presumed dead (default 1 s). */
  recoveryIntervalMs?: number;
  /** How long a task past its hard time limit gets to settle before the worker recycles. */
  overrunGraceMs?: number;
  /** Drain and stop after this many jobs (0: never). */
  maxJobs?: number;
  /** Drain and stop once the resident set exceeds this many bytes (0: never). */
  maxRssBytes?: number;
  /**
   * Called once the worker recycled, after it drained: `maxJobs` or `maxRssBytes` was reached, a
   * task overran its hard time limit, it was declared dead, or a runner stopped unexpectedly.
   * The host should exit so its supervisor starts a fresh process.
   */
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

/** Connections a worker serving `lanes` lanes needs: one LISTEN per lane, the liveness
 * listener's, and a few for its queries. */
export function minimumPoolSize(lanes: number): number {
  return lanes + 4;
}

export async function startWorker<Services>(options: WorkerOptions<Services>): Promise<Worker> {
  const { pool, registry, type, logger } = options;
  const db = createDb(pool);
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const workerLogger = logger.child({ workerId: id });
  const lanes = lanesByWorkerType[type].filter((lane) => registry.inLane(lane).length > 0);
  // Each lane's runner holds a connection for LISTEN and the liveness listener one more; with
  // fewer left for queries, start-up would wait for a connection forever.
  const poolSize = pool.options.max ?? 10;
  if (poolSize < minimumPoolSize(lanes.length)) {
    throw new Error(
      `a pool of ${poolSize} connections is too small for a worker serving ${lanes.length} ` +
        `lanes: it needs at least ${minimumPoolSize(lanes.length)} (DATABASE_POOL_SIZE)`,
    );
  }
  const clock = new DatabaseClock();
  // A few samples, so one slow reply at start does not set the offset.
  for (let sample = 0; sample < 3; sample++) await clock.sync(db);
  const ledger = new LedgerWriter({
    db,
    workerId: id,
    logger: workerLogger,
    clock,
    flushIntervalMs: options.ledgerFlushMs,
  });
  const running: RunningJobs = new Map();
  const jobsInHand = new Set<string>();
  const overruns = new Map<number, () => void>();
  const graphileWorkerIds = new Set<string>();
  let jobsDone = 0;
  let paused = await laneListPaused(db);
  let stopping: Promise<void> | undefined;
  let declaredDead = false;
  const heartbeatMs = options.heartbeatIntervalMs ?? 5_000;
  // Jobs wait fetched and locked in a local queue, if one is configured, until its time to live.
  const localQueueTtlMs =
    (options.preset?.localQueue?.size ?? -1) > 0
      ? (options.preset?.localQueue?.ttl ?? 5 * 60_000)
      : undefined;
  const silentAfterMs = options.silentAfterMs ?? defaultWorkerSilentAfterMs;
  const lockKey = newLockKey();

  const tasks = registry.all().map((task) => task.name);
  await registerWorker(db, id, { type, lanes, tasks, lockKey });
  const releaseGuard = rideOutDatabaseOutages(workerLogger);

  const events: WorkerEvents = options.events ?? new EventEmitter();
  const lockerIds = recordLockerIdsPlugin(db, id, graphileWorkerIds);

  const listener = await listenForNotifications(pool, {
    logger: workerLogger,
    handlers: {
      [CANCEL_CHANNEL]: (payload) => {
        running.get(Number(payload))?.abort(new AbortReason("cancelled"));
      },
      [LANES_CHANNEL]: () => {
        void laneListPaused(db).then(
          (next) => {
            paused = next;
          },
          () => {}, // the heartbeat reads them again
        );
      },
    },
    onConnect: holdLock,
  });
  // The second holder of the liveness lock (see livenessLock.ts); it listens to nothing.
  const lockHolder = await listenForNotifications(pool, {
    logger: workerLogger,
    handlers: {},
    onConnect: holdLock,
  });

  // Jobs run as soon as the first runner is up, so a limit can be reached before start-up is
  // over; the recycle waits for it, as stop() needs everything start-up sets going.
  let startingUp = true;
  let recycleWhenStarted: string | undefined;
  const recycle = (reason: string) => {
    if (stopping) return;
    if (startingUp) {
      recycleWhenStarted ??= reason;
      return;
    }
    workerLogger.info({ reason }, "recycling worker");
    void stop().then(() => options.onRecycled?.(reason));
  };

  const recycleCheck = () => {
    const limitJobs = options.maxJobs ?? 0;
    const limitRss = options.maxRssBytes ?? 0;
    const reason =
      limitJobs > 0 && jobsDone >= limitJobs
        ? `ran ${jobsDone} jobs (limit ${limitJobs})`
        : limitRss > 0 && process.memoryUsage.rss() > limitRss
          ? `resident memory above ${Math.round(limitRss / 1048576)} MB`
          : undefined;
    if (reason) recycle(reason);
  };

  function onDeclaredDead() {
    if (declaredDead) return;
    declaredDead = true;
    workerLogger.error(
      { silentAfterMs },
      "this worker was declared dead (paused or cut off too long); abandoning its jobs, which run elsewhere",
    );
    for (const abort of running.values()) abort.abort(new AbortReason("abandoned"));
    recycle("declared dead by crash recovery");
  }

  /** Takes the liveness lock on a (new) connection; finds out there if it was declared dead. */
  async function holdLock(client: PoolClient): Promise<void> {
    if (!(await holdLivenessLock(client, id, lockKey))) onDeclaredDead();
  }

  // When this worker last heard from the database that it is alive.
  let confirmedAt = Date.now();
  let confirming: Promise<boolean> | undefined;
  const heartbeatState = () => ({
    runningJobs: running.size,
    jobsDone,
    graphileWorkerIds: [...graphileWorkerIds],
  });
  // Whether the last beat failed: the next one that succeeds says the worker is back, and until
  // then it judges no one by their silence (it cannot tell theirs from its own outage).
  let cutOff = false;
  /** One beat; true if alive, false if declared dead; throws if the database cannot answer. */
  const beatNow = async (): Promise<boolean> => {
    const at = Date.now();
    let alive: boolean;
    try {
      alive = await beat(db, id, { ...heartbeatState(), reconnected: cutOff });
    } catch (error) {
      cutOff = true;
      throw error;
    }
    cutOff = false;
    if (alive) confirmedAt = Math.max(confirmedAt, at);
    else onDeclaredDead();
    return alive;
  };
  /**
   * Whether this worker may end a job: yes while its last beat is fresh and its lock connection
   * is up; otherwise it asks the database, waiting through an outage (a job that ended then is
   * recorded once the database is back), unless the worker is stopping.
   */
  const stillOwnsJobs = (): boolean | Promise<boolean> => {
    if (declaredDead) return false;
    const connected = listener.listening && lockHolder.listening;
    if (connected && Date.now() - confirmedAt < 2 * heartbeatMs) return true;
    confirming ??= (async () => {
      for (;;) {
        try {
          return await beatNow();
        } catch (error) {
          if (stopping) return true;
          workerLogger.warn({ err: error }, "waiting for the database to record a job's end");
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })().finally(() => {
      confirming = undefined;
    });
    return confirming;
  };

  const deps: JobRunnerDependencies<Services> = {
    db,
    ledger,
    workerId: id,
    logger: workerLogger,
    running,
    clock,
    ...(options.admission ?? sharedLimitsAdmission(db)),
    ...(options.services ? { services: options.services } : {}),
    onJobDone: () => {
      jobsDone++;
      recycleCheck();
    },
    stillOwnsJobs,
    jobsInHand,
    overruns,
    onOverrun: recycle,
    ...(options.overrunGraceMs !== undefined ? { overrunGraceMs: options.overrunGraceMs } : {}),
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
          plugins: [lockerIds],
          worker: {
            gracefulShutdownAbortTimeout: options.shutdownGraceMs ?? 30_000,
            ...options.preset,
          },
        },
      }),
    );
    cronItems = undefined;
  }
  for (const [index, runner] of runners.entries()) {
    runner.promise.catch((error: unknown) => {
      if (stopping) return;
      workerLogger.error({ err: error, lane: lanes[index] }, "a lane's runner stopped");
      recycle(`the runner of lane ${lanes[index]} stopped`);
    });
  }

  /** Runs `work` every `ms`, never two at a time; failures are logged and tried again. */
  const every = (ms: number, what: string, work: () => Promise<void>) => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      work()
        .catch((error: unknown) => workerLogger.warn({ err: error }, `${what} failed`))
        .finally(() => {
          busy = false;
        });
    }, ms);
    timer.unref();
    return timer;
  };

  // The first sweeps come one period after start, like every later one.
  let reconciledAt = Date.now();
  const unknownTasks = new UnknownTaskSweeper(db, { silentAfterMs });
  // The beat has a timer of its own, so slow upkeep never makes this worker look silent.
  const heartbeat = every(heartbeatMs, "heartbeat", async () => {
    await beatNow();
  });
  const upkeep = every(heartbeatMs, "upkeep", async () => {
    if (declaredDead) return;
    await clock.sync(db);
    if (Date.now() - reconciledAt >= silentAfterMs) {
      reconciledAt = Date.now();
      const vanished = await reconcileVanishedJobs(db);
      if (vanished > 0)
        workerLogger.warn({ executions: vanished }, "ended executions whose job is gone");
      const stranded = await settleStrandedJobs(db);
      if (stranded > 0)
        workerLogger.warn({ jobs: stranded }, "settled jobs taken by workers declared dead");
      const exhausted = await endExhaustedJobs(db);
      if (exhausted > 0)
        workerLogger.warn({ executions: exhausted }, "ended executions whose attempts were spent");
      // Endings already decided are written first, so their jobs are not taken for leaked.
      await ledger.flush();
      const leaked = await settleLeakedJobs(db, {
        id,
        graphileWorkerIds: [...graphileWorkerIds],
        jobsInHand: [...jobsInHand],
        ...(localQueueTtlMs ? { heldForMs: localQueueTtlMs + leakedAfterMs } : {}),
      });
      if (leaked.requeued + leaked.dead > 0)
        workerLogger.warn(leaked, "settled jobs whose end could not be recorded");
    }
    paused = await laneListPaused(db);
    recycleCheck();
    const moved = await unknownTasks.sweep();
    if (moved.parked + moved.unparked > 0)
      workerLogger.warn(moved, "parked or unparked jobs of tasks no live worker knows");
  });
  const recovery = every(options.recoveryIntervalMs ?? 1_000, "crash recovery", async () => {
    const recovered = await recoverLostWorkers(db, {
      silentAfterMs,
      selfId: id,
      judgeSilence: !cutOff,
    });
    for (const worker of recovered) workerLogger.warn(worker, "freed the jobs of a lost worker");
  });
  // The first beat records graphile-worker's ids as soon as the runners have made them.
  await beatNow();

  workerLogger.info({ workerType: type, lanes, clockOffsetMs: clock.offsetMs }, "worker started");
  startingUp = false;
  if (recycleWhenStarted) recycle(recycleWhenStarted);

  function stop(): Promise<void> {
    stopping ??= (async () => {
      clearInterval(recovery);
      // It keeps beating while it drains, so no one takes its running jobs for a dead worker's.
      // Tasks past their hard limit are let go as soon as nothing else is left to drain.
      const letOverrunsGo = setInterval(() => {
        if (overruns.size === 0 || running.size > overruns.size) return;
        for (const release of overruns.values()) release();
      }, 100);
      await Promise.all(runners.map((runner) => runner.stop().catch(() => {})));
      clearInterval(letOverrunsGo);
      clearInterval(upkeep);
      clearInterval(heartbeat);
      await ledger.flush();
      // Stopped before its lock goes, so no sweep takes a clean stop for a lost process.
      if (!declaredDead) await markWorkerStopped(db, id);
      await listener.close();
      await lockHolder.close();
      releaseGuard();
      workerLogger.info({ jobsDone }, "worker stopped");
    })().catch((error: unknown) => {
      releaseGuard();
      workerLogger.error({ err: error }, "worker stopped without recording it");
    });
    return stopping;
  }

  return { id, lanes, running, stop };
}
