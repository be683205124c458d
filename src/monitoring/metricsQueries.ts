/**
 * The reads behind `GET /metrics`, one function per query, named by what it reads. Each runs at
 * scrape time against Postgres, so every API process reports the same numbers.
 *
 * No query reads finished executions: counts, run times and errors come from the totals the
 * database keeps as executions end (migration 0024), which hold one row per lane, task, status
 * and bucket whatever the size of the ledger; the rest counts live rows (the backlog) and
 * workers. A scrape costs the same with a thousand or a hundred million executions.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import {
  type ExecutionStatus,
  liveStatuses,
  statusList,
  type TerminalStatus,
  waitingStatuses,
} from "../engine/executionStatus.ts";
import { workerAlive } from "../engine/fleet/workerAlive.ts";

/**
 * Upper bounds (seconds) of the run-time histogram buckets; `+Inf` is implied. Migration 0024's
 * `execution_run_bucket_bounds()` holds the same list (a test compares them): the rollups store
 * a bucket's index into it.
 */
export const RUN_SECONDS_BUCKETS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
] as const;

export interface TaskEndingCount {
  lane: string;
  task: string;
  status: TerminalStatus;
  count: number;
}

/** Executions ended since the beginning, by lane, task and terminal status. */
export async function taskEndingCounts(db: Db): Promise<TaskEndingCount[]> {
  const { rows } = await sql<TaskEndingCount>`
    select lane, task_name as task, status, sum(executions)::float8 as count
    from execution_totals
    group by lane, task_name, status`.execute(db);
  return rows;
}

export interface TaskRunSeconds {
  lane: string;
  task: string;
  /** Cumulative: `buckets[i]` counts runs of at most `RUN_SECONDS_BUCKETS[i]` seconds. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Run times of every ended execution that started (from the start of its last attempt to its
 * end), as cumulative bucket counts per lane and task.
 */
export async function taskRunSeconds(db: Db): Promise<TaskRunSeconds[]> {
  const { rows } = await sql<{
    lane: string;
    task: string;
    bucket: number;
    count: number;
    sum: number;
  }>`
    select lane, task_name as task, bucket, sum(executions)::float8 as count,
           sum(run_seconds_sum)::float8 as sum
    from execution_totals
    where bucket >= 0
    group by lane, task_name, bucket
    order by lane, task_name, bucket`.execute(db);
  return cumulativeBuckets(rows, RUN_SECONDS_BUCKETS.length);
}

/**
 * Per-bucket counts (bucket = index into the bounds, `bounds` for +Inf) to cumulative
 * histograms per lane and task. Rows must come sorted by lane, task and bucket.
 */
export function cumulativeBuckets(
  rows: { lane: string; task: string; bucket: number; count: number; sum: number }[],
  bounds: number,
): TaskRunSeconds[] {
  const series = new Map<string, TaskRunSeconds & { perBucket: number[] }>();
  for (const row of rows) {
    const key = `${row.lane}\u0000${row.task}`;
    let entry = series.get(key);
    if (!entry) {
      entry = {
        lane: row.lane,
        task: row.task,
        buckets: [],
        sum: 0,
        count: 0,
        perBucket: new Array(bounds + 1).fill(0),
      };
      series.set(key, entry);
    }
    const index = Math.min(row.bucket, bounds);
    entry.perBucket[index] = (entry.perBucket[index] ?? 0) + row.count;
    entry.sum += row.sum;
    entry.count += row.count;
  }
  return [...series.values()].map(({ perBucket, ...entry }) => {
    let running = 0;
    const buckets = perBucket.slice(0, bounds).map((count) => {
      running += count;
      return running;
    });
    return { ...entry, buckets };
  });
}

export interface TaskErrorCount {
  lane: string;
  task: string;
  errorClass: string;
  count: number;
}

/** Failed attempts since the beginning, by lane, task and error class. */
export async function taskErrorCounts(db: Db): Promise<TaskErrorCount[]> {
  return db
    .selectFrom("execution_error_totals")
    .select([
      "lane",
      "task_name as task",
      "error_class as errorClass",
      sql<number>`errors::float8`.as("count"),
    ])
    .execute();
}

export interface LiveExecutionCount {
  lane: string;
  status: ExecutionStatus;
  count: number;
}

/** Live executions (queued, scheduled, running, retrying) per lane and status. */
export async function liveExecutionCounts(db: Db): Promise<LiveExecutionCount[]> {
  const { rows } = await sql<LiveExecutionCount>`
    select lane, status, count(*)::int as count
    from executions
    where status in (${statusList(liveStatuses)})
    group by lane, status`.execute(db);
  return rows;
}

export interface LaneOldestWaiting {
  lane: string;
  oldestWaitingSeconds: number;
}

/**
 * How long the longest-waiting due execution of each lane has waited: queued, retrying, and
 * scheduled ones whose time has come. Lanes with none are absent.
 */
export async function laneOldestWaiting(db: Db): Promise<LaneOldestWaiting[]> {
  const { rows } = await sql<LaneOldestWaiting>`
    select lane,
           greatest(extract(epoch from now() - min(run_at)), 0)::float8 as "oldestWaitingSeconds"
    from executions
    where status in (${statusList(waitingStatuses)}) and run_at <= now()
    group by lane`.execute(db);
  return rows;
}

/** Every lane that has a row in `lane_states`, with whether it is paused. */
export async function lanePauseStates(db: Db): Promise<{ lane: string; paused: boolean }[]> {
  return db.selectFrom("lane_states").select(["lane", "paused"]).execute();
}

export interface WorkerTypeCount {
  type: string;
  alive: number;
  runningJobs: number;
}

/** Live worker processes (see workerAlive.ts) per worker type. */
export async function workerCountsByType(
  db: Db,
  silentAfterMs: number,
): Promise<WorkerTypeCount[]> {
  const { rows } = await sql<WorkerTypeCount>`
    select type, count(*)::int as alive, coalesce(sum(running_jobs), 0)::int as "runningJobs"
    from workers
    where ${workerAlive(silentAfterMs)}
    group by type`.execute(db);
  return rows;
}
