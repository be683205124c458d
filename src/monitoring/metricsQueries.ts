/**
 * The reads behind `GET /metrics`, one function per query, named by what it reads. Each runs at
 * scrape time against Postgres, so every API process reports the same numbers.
 *
 * The ledger may hold millions of rows, so every query is bounded: live statuses (queued,
 * scheduled, running, retrying) are few and counted fully through the status indexes; finished
 * executions are read only within a recent window through `executions_finished_at`.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import {
  type ExecutionStatus,
  liveStatuses,
  statusList,
  terminalStatuses,
  waitingStatuses,
} from "../engine/executionStatus.ts";
import { workerAlive } from "../engine/fleet/workerAlive.ts";

/** Window of the terminal-status counts and of the error counts. */
export const FINISHED_WINDOW_SECONDS = 24 * 60 * 60;
/** Window of the run-time histogram. */
export const RUN_SECONDS_WINDOW_SECONDS = 60 * 60;
/** Upper bounds (seconds) of the run-time histogram buckets; `+Inf` is implied. */
export const RUN_SECONDS_BUCKETS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
] as const;

export interface ExecutionStatusCount {
  lane: string;
  task: string;
  status: ExecutionStatus;
  count: number;
}

/**
 * Executions by lane, task and status: live statuses in full, terminal statuses only for
 * executions finished within `windowSeconds`.
 */
export async function executionCountsByStatus(
  db: Db,
  windowSeconds = FINISHED_WINDOW_SECONDS,
): Promise<ExecutionStatusCount[]> {
  const { rows } = await sql<ExecutionStatusCount>`
    select lane, task_name as task, status, count(*)::int as count
    from executions
    where status in (${statusList(liveStatuses)})
    group by lane, task_name, status
    union all
    select lane, task_name, status, count(*)::int
    from executions
    where finished_at >= now() - ${windowSeconds}::float8 * interval '1 second'
      and status in (${statusList(terminalStatuses)})
    group by lane, task_name, status`.execute(db);
  return rows;
}

export interface ExecutionRunSeconds {
  lane: string;
  task: string;
  /** Cumulative: `buckets[i]` counts runs of at most `bounds[i]` seconds. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Run times of executions finished within `windowSeconds`, from the start of their last attempt
 * to their end, as cumulative bucket counts per lane and task. Executions that never started
 * (expired, cancelled while waiting) have no run time and are left out.
 */
export async function executionRunSecondsByTask(
  db: Db,
  bounds: readonly number[] = RUN_SECONDS_BUCKETS,
  windowSeconds = RUN_SECONDS_WINDOW_SECONDS,
): Promise<ExecutionRunSeconds[]> {
  const buckets = sql.join(
    bounds.map((le) => sql`count(*) filter (where seconds <= ${sql.lit(le)})`),
  );
  const { rows } = await sql<ExecutionRunSeconds>`
    with runs as (
      select lane, task_name,
             greatest(extract(epoch from finished_at - started_at), 0)::float8 as seconds
      from executions
      where finished_at >= now() - ${windowSeconds}::float8 * interval '1 second'
        and started_at is not null
    )
    select lane, task_name as task, array[${buckets}]::int[] as buckets,
           sum(seconds)::float8 as sum, count(*)::int as count
    from runs
    group by lane, task_name`.execute(db);
  return rows;
}

export interface ExecutionErrorCount {
  lane: string;
  task: string;
  errorClass: string;
  count: number;
}

/**
 * Failing executions by error class: every one waiting to retry, and those that died within
 * `windowSeconds`. An execution without a recorded class counts as `unknown`.
 */
export async function executionErrorCountsByClass(
  db: Db,
  windowSeconds = FINISHED_WINDOW_SECONDS,
): Promise<ExecutionErrorCount[]> {
  const { rows } = await sql<ExecutionErrorCount>`
    select lane, task, "errorClass", sum(count)::int as count
    from (
      select lane, task_name as task, coalesce(error_class, 'unknown') as "errorClass",
             count(*) as count
      from executions
      where status = 'retrying'
      group by 1, 2, 3
      union all
      select lane, task_name, coalesce(error_class, 'unknown'), count(*)
      from executions
      where finished_at >= now() - ${windowSeconds}::float8 * interval '1 second' and status = 'dead'
      group by 1, 2, 3
    ) failing
    group by lane, task, "errorClass"`.execute(db);
  return rows;
}

export interface LaneBacklog {
  lane: string;
  waiting: number;
  oldestWaitingSeconds: number;
}

/**
 * Executions due to run but not started, per lane: queued, retrying, and scheduled ones whose
 * time has come (the ledger says `scheduled` until a worker starts them). Lanes with none are
 * absent.
 */
export async function laneBacklogs(db: Db): Promise<LaneBacklog[]> {
  const { rows } = await sql<LaneBacklog>`
    select lane, count(*)::int as waiting,
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
