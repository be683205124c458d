import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { liveStatuses, statusList, waitingStatuses } from "../engine/executionStatus.ts";
import { workerAlive } from "../engine/fleet/workerAlive.ts";

/**
 * Workers, alive or not (see workerAlive.ts), and those that stopped in the last hour. A worker
 * that was lost says why (`stop_reason`) and which executions it was running (the attempts it
 * abandoned, newest first, at most 10): an execution that recurs across lost workers is killing
 * them.
 */
export async function workerList(db: Db, silentAfterMs: number) {
  const { rows } = await sql<{
    id: string;
    type: string;
    lanes: string[];
    host: string;
    pid: number;
    started_at: Date;
    last_seen_at: Date;
    stopped_at: Date | null;
    running_jobs: number;
    jobs_done: number;
    alive: boolean;
    stop_reason: string | null;
    lost_executions: string[];
  }>`
    select id, type, lanes, host, pid, started_at, last_seen_at, stopped_at, running_jobs, jobs_done,
           ${workerAlive(silentAfterMs)} as alive, stop_reason,
           case when stop_reason is null then '{}'::text[] else array(
             select e.public_id::text
             from (select execution_id, started_at from execution_attempts a
                   where a.worker_id = workers.id and a.error_class = 'WorkerLost'
                   order by a.started_at desc limit 10) lost
             join executions e on e.id = lost.execution_id
             order by lost.started_at desc) end as lost_executions
    from workers
    where stopped_at is null or stopped_at > now() - interval '1 hour'
    order by alive desc, started_at desc`.execute(db);
  return rows;
}

/** The lanes that at least one live worker serves. */
export function lanesServed(workers: { alive: boolean; lanes: string[] }[]): Set<string> {
  return new Set(workers.filter((worker) => worker.alive).flatMap((worker) => worker.lanes));
}

export interface LaneStats {
  lane: string;
  queued: number;
  scheduled: number;
  running: number;
  retrying: number;
  dead: number;
  waiting: number;
  oldest_waiting_seconds: number | null;
}

/** Live counts and dead executions per lane from the ledger (index on lane, status). */
export function laneStats(db: Db): Promise<Map<string, LaneStats>> {
  return laneCounts(db, true) as Promise<Map<string, LaneStats>>;
}

/**
 * Live counts per lane, without the dead: reads only live rows (the status index's queued,
 * scheduled, running and retrying entries), however many dead executions the ledger holds.
 */
export function laneBacklog(db: Db): Promise<Map<string, Omit<LaneStats, "dead">>> {
  return laneCounts(db, false);
}

async function laneCounts(db: Db, withDead: boolean) {
  const statuses = withDead ? [...liveStatuses, "dead" as const] : [...liveStatuses];
  const { rows } = await sql<LaneStats>`
    select lane,
      count(*) filter (where status = 'queued')::int as queued,
      count(*) filter (where status = 'scheduled')::int as scheduled,
      count(*) filter (where status = 'running')::int as running,
      count(*) filter (where status = 'retrying')::int as retrying,
      ${withDead ? sql`count(*) filter (where status = 'dead')::int as dead,` : sql``}
      count(*) filter (where status in (${statusList(waitingStatuses)}) and run_at <= now())::int as waiting,
      extract(epoch from now() - min(run_at) filter (
        where status in (${statusList(waitingStatuses)}) and run_at <= now()))::float8 as oldest_waiting_seconds
    from executions
    where status in (${statusList(statuses)})
    group by lane`.execute(db);
  return new Map<string, Omit<LaneStats, "dead"> | LaneStats>(rows.map((row) => [row.lane, row]));
}

export interface LaneThroughput {
  lane: string;
  finished_5m: number;
  finished_60m: number;
  mean_wait_seconds: number | null;
  p95_run_seconds: number | null;
}

/** Throughput and timings per lane over the last hour (index on finished_at). */
export async function laneThroughput(db: Db): Promise<Map<string, LaneThroughput>> {
  const { rows } = await sql<LaneThroughput>`
    select lane,
      count(*) filter (where finished_at > now() - interval '5 minutes')::int as finished_5m,
      count(*)::int as finished_60m,
      avg(extract(epoch from started_at - run_at)) filter (where started_at is not null)::float8 as mean_wait_seconds,
      percentile_cont(0.95) within group (order by extract(epoch from finished_at - started_at))
        filter (where started_at is not null)::float8 as p95_run_seconds
    from executions
    where finished_at > now() - interval '1 hour'
    group by lane`.execute(db);
  return new Map(rows.map((row) => [row.lane, row]));
}
