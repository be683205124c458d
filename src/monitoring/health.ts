/**
 * The system health verdict of `GET /api/tasks/health/`: `unhealthy` when the database does not
 * answer or no worker is alive; `degraded` when a lane's oldest waiting job is older than
 * `maxWaitSeconds`, a lane with waiting jobs has no live worker serving it, jobs of a task no
 * live worker knows are parked (see engine/fleet/unknownTasks.ts), or the success rate of the
 * last hour is below `minSuccessRate`; else `healthy`. Every reason is listed. The hour and the
 * 24 hours are read from the per-minute rollups (recentEndings.ts), in whole minutes.
 */
import type { Db } from "../database/pool.ts";
import { unknownTaskList } from "../engine/fleet/unknownTasks.ts";
import { defaultWorkerSilentAfterMs } from "../engine/fleet/workerAlive.ts";
import { laneNames } from "../engine/lanes.ts";
import { databaseRoundTripMs } from "./databaseLatency.ts";
import { laneBacklog, lanesServed, workerList } from "./fleet.ts";
import { endingsSince } from "./recentEndings.ts";

export interface HealthThresholds {
  /** `WORKER_SILENT_AFTER_MS`: a worker silent longer is not alive (see workerAlive.ts). */
  silentAfterMs: number;
  maxWaitSeconds: number;
  minSuccessRate: number;
}

export const defaultHealthThresholds: HealthThresholds = {
  silentAfterMs: defaultWorkerSilentAfterMs,
  maxWaitSeconds: 300,
  minSuccessRate: 0.9,
};

export async function checkHealth(db: Db, thresholds: HealthThresholds = defaultHealthThresholds) {
  let databaseMs: number;
  try {
    databaseMs = await databaseRoundTripMs(db);
  } catch (error) {
    return {
      status: "unhealthy" as const,
      reasons: [`database unreachable: ${(error as Error).message}`],
      checked_at: new Date().toISOString(),
    };
  }
  const [workers, lanes, unknownTasks, outcomes, dead24h] = await Promise.all([
    workerList(db, thresholds.silentAfterMs),
    laneBacklog(db),
    unknownTaskList(db),
    endingsSince(db, 60 * 60),
    endingsSince(db, 24 * 60 * 60),
  ]);
  const alive = workers.filter((worker) => worker.alive);
  const workersByType: Record<string, number> = {};
  for (const worker of alive) workersByType[worker.type] = (workersByType[worker.type] ?? 0) + 1;
  const served = lanesServed(workers);
  const { succeeded, dead: failed } = outcomes;
  const finished = succeeded + failed;
  const successRate = finished === 0 ? null : succeeded / finished;

  const unhealthy: string[] = [];
  const degraded: string[] = [];
  if (alive.length === 0) unhealthy.push("no worker is alive");
  const backlog = laneNames.map((lane) => {
    const stats = lanes.get(lane);
    const waiting = stats?.waiting ?? 0;
    const oldest = stats?.oldest_waiting_seconds ?? null;
    if (oldest !== null && oldest > thresholds.maxWaitSeconds) {
      degraded.push(`lane ${lane}: oldest waiting job is ${Math.round(oldest)} s old`);
    }
    if (waiting > 0 && alive.length > 0 && !served.has(lane)) {
      degraded.push(`lane ${lane}: ${waiting} jobs waiting and no live worker serves it`);
    }
    return { lane, waiting, oldest_waiting_seconds: oldest };
  });
  for (const { task_name, waiting } of unknownTasks) {
    degraded.push(`task ${task_name}: ${waiting} jobs waiting and no live worker knows the task`);
  }
  if (successRate !== null && finished >= 10 && successRate < thresholds.minSuccessRate) {
    degraded.push(`success rate of the last hour is ${(successRate * 100).toFixed(1)}%`);
  }
  const status = unhealthy.length ? "unhealthy" : degraded.length ? "degraded" : "healthy";
  return {
    status,
    reasons: [...unhealthy, ...degraded],
    checked_at: new Date().toISOString(),
    database: { reachable: true, latency_ms: databaseMs },
    workers: { alive: alive.length, by_type: workersByType },
    lanes: backlog,
    unknown_tasks: unknownTasks,
    last_hour: { succeeded, failed, success_rate: successRate },
    dead_last_24h: dead24h.dead,
  };
}
