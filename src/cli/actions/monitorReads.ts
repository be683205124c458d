/**
 * What each view of `switchboard monitor` reads: the modules behind the API's health, fleet,
 * failure, alert and execution routes, so the numbers are the API's.
 */
import { alertList } from "../../alerts/alertList.ts";
import { toExecutionSummary } from "../../api/schemas/execution.ts";
import type { Db } from "../../database/pool.ts";
import { laneListPaused } from "../../engine/control/laneState.ts";
import { laneNames } from "../../engine/lanes.ts";
import { executionList, executionListDead } from "../../executions/queries.ts";
import { failureListByTask } from "../../monitoring/failures.ts";
import { laneStats, workerList } from "../../monitoring/fleet.ts";
import { checkHealth, type HealthThresholds } from "../../monitoring/health.ts";
import { jobBacklogGet } from "../../monitoring/jobBacklog.ts";
import { executionListSlow } from "../../monitoring/slowTasks.ts";
import { taskTrends } from "../../monitoring/taskTrends.ts";

const openAlertLimit = 20;

export async function healthRead(db: Db, thresholds: HealthThresholds) {
  const [health, alerts] = await Promise.all([
    checkHealth(db, thresholds),
    alertList(db, { status: "open", limit: openAlertLimit }),
  ]);
  return {
    ...health,
    open_alerts: alerts.alerts.map((alert) => ({
      id: alert.id,
      condition: alert.condition,
      severity: alert.severity,
      summary: alert.summary,
      started_at: alert.started_at.toISOString(),
      last_seen_at: alert.last_seen_at.toISOString(),
    })),
  };
}

export async function queuesRead(db: Db, thresholds: HealthThresholds) {
  const [stats, paused, workers, jobs] = await Promise.all([
    laneStats(db),
    laneListPaused(db),
    workerList(db, thresholds.silentAfterMs),
    jobBacklogGet(db),
  ]);
  const alive = workers.filter((worker) => worker.alive);
  const lanes = laneNames.map((lane) => {
    const s = stats.get(lane);
    return {
      lane,
      paused: paused.has(lane),
      queued: s?.queued ?? 0,
      scheduled: s?.scheduled ?? 0,
      retrying: s?.retrying ?? 0,
      running: s?.running ?? 0,
      dead: s?.dead ?? 0,
      oldest_waiting_seconds: s?.oldest_waiting_seconds ?? null,
      workers: alive.filter((worker) => worker.lanes.includes(lane)).length,
    };
  });
  return { lanes, jobs, checked_at: new Date().toISOString() };
}

export function workersRead(db: Db, thresholds: HealthThresholds) {
  return workerList(db, thresholds.silentAfterMs);
}

export function slowRead(db: Db, thresholdSeconds: number) {
  return executionListSlow(db, thresholdSeconds);
}

export async function failuresRead(db: Db, hours: number, deadLimit = 10) {
  const [grouped, dead] = await Promise.all([
    failureListByTask(db, hours),
    executionListDead(db, { limit: deadLimit }),
  ]);
  return {
    ...grouped,
    recent_dead: dead.rows.map(toExecutionSummary),
  };
}

export async function taskRead(db: Db, task: string, days: number, recent = 100) {
  const [page, trend] = await Promise.all([
    executionList(db, { filters: { task_name: task }, limit: recent }),
    taskTrends(db, { task, days }),
  ]);
  const executions = page.rows.map(toExecutionSummary);
  const ended = executions.filter((row) => row.status === "succeeded" || row.status === "dead");
  const durations = ended
    .flatMap((row) => (row.duration_seconds === null ? [] : [row.duration_seconds]))
    .sort((a, b) => a - b);
  const succeeded = ended.filter((row) => row.status === "succeeded").length;
  return {
    task,
    recent: {
      executions: executions.length,
      ended: ended.length,
      succeeded,
      dead: ended.length - succeeded,
      success_rate: ended.length ? succeeded / ended.length : null,
      p50_seconds: percentile(durations, 0.5),
      p95_seconds: percentile(durations, 0.95),
    },
    latest: executions.slice(0, 10),
    days,
    trend,
  };
}

/** Linear interpolation between closest ranks, as PostgreSQL's `percentile_cont`. */
function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = (sorted.length - 1) * fraction;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (rank - low);
}
