/**
 * Seed 000's `get_task_performance_trends`: per UTC day over the last `days` (today included),
 * a task's finished executions, successes, dead ones, success rate and run-time percentiles.
 * Days without an execution are listed with zeros. Read from the ledger through its
 * (task_name, created_at) index: an execution counts on the day it finished, and one created
 * more than a day before the first day is not read.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

export interface TaskTrendDay {
  /** YYYY-MM-DD, UTC. */
  day: string;
  executions: number;
  succeeded: number;
  dead: number;
  success_rate: number | null;
  p50_seconds: number | null;
  p95_seconds: number | null;
}

export const maxTrendDays = 90;

export async function taskTrends(db: Db, task: string, days: number): Promise<TaskTrendDay[]> {
  if (!Number.isInteger(days) || days < 1 || days > maxTrendDays) {
    throw new RangeError(`days: expected a whole number from 1 to ${maxTrendDays}`);
  }
  const { rows } = await sql<TaskTrendDay>`
    with bounds as (
      select (date_trunc('day', now() at time zone 'UTC') - make_interval(days => ${days - 1}))
               at time zone 'UTC' as since
    ),
    finished as (
      select (finished_at at time zone 'UTC')::date as day, status,
             extract(epoch from finished_at - started_at)::float8 as seconds
      from executions, bounds
      where task_name = ${task} and created_at >= bounds.since - interval '1 day'
        and finished_at >= bounds.since and status in ('succeeded', 'dead')
    ),
    per_day as (
      select day, count(*)::int as executions,
             count(*) filter (where status = 'succeeded')::int as succeeded,
             count(*) filter (where status = 'dead')::int as dead,
             percentile_cont(0.5) within group (order by seconds)
               filter (where seconds is not null)::float8 as p50_seconds,
             percentile_cont(0.95) within group (order by seconds)
               filter (where seconds is not null)::float8 as p95_seconds
      from finished group by day
    )
    select to_char(d.day, 'YYYY-MM-DD') as day,
           coalesce(p.executions, 0) as executions,
           coalesce(p.succeeded, 0) as succeeded,
           coalesce(p.dead, 0) as dead,
           case when coalesce(p.executions, 0) = 0 then null
                else p.succeeded::float8 / p.executions end as success_rate,
           p.p50_seconds, p.p95_seconds
    from bounds,
         generate_series((bounds.since at time zone 'UTC')::date,
                         (now() at time zone 'UTC')::date, interval '1 day') as d(day)
    left join per_day p on p.day = d.day::date
    order by d.day`.execute(db);
  return rows;
}
