import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

/** Running executions past `thresholdSeconds`, and per task the finished ones of the last 24 h. */
export async function executionListSlow(db: Db, thresholdSeconds: number, limit = 50) {
  const [running, byTask] = await Promise.all([
    sql<{
      task_id: string;
      task_name: string;
      lane: string;
      worker_id: string | null;
      running_seconds: number;
    }>`
      select public_id as task_id, task_name, lane, worker_id,
             extract(epoch from now() - started_at)::float8 as running_seconds
      from executions
      where status = 'running' and started_at < now() - make_interval(secs => ${thresholdSeconds})
      order by started_at limit ${limit}`.execute(db),
    sql<{
      task_name: string;
      count: number;
      mean_seconds: number;
      max_seconds: number;
      slowest_task_id: string;
    }>`
      select task_name, count(*)::int as count,
             avg(extract(epoch from finished_at - started_at))::float8 as mean_seconds,
             max(extract(epoch from finished_at - started_at))::float8 as max_seconds,
             (array_agg(public_id order by finished_at - started_at desc))[1] as slowest_task_id
      from executions
      where finished_at > now() - interval '24 hours' and started_at is not null
        and finished_at - started_at > make_interval(secs => ${thresholdSeconds})
      group by task_name order by max_seconds desc limit ${limit}`.execute(db),
  ]);
  return {
    threshold_seconds: thresholdSeconds,
    running: running.rows,
    finished_last_24h: byTask.rows,
  };
}
