import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

/**
 * Failed attempts of the last `hours`, grouped by task and error class, with the task's failure
 * rate (failed attempts over all attempts of the task in the window).
 */
export async function failureListByTask(db: Db, hours: number) {
  const { rows } = await sql<{
    task_name: string;
    error_class: string;
    count: number;
    failure_rate: number;
    first_seen: Date;
    last_seen: Date;
    sample_message: string | null;
  }>`
    with window_attempts as (
      select e.task_name, a.outcome, a.error_class, a.error_message, a.finished_at
      from execution_attempts a join executions e on e.id = a.execution_id
      where a.finished_at > now() - make_interval(hours => ${hours})
    ),
    totals as (select task_name, count(*) as attempts from window_attempts group by task_name)
    select w.task_name, coalesce(w.error_class, 'Error') as error_class, count(*)::int as count,
           (count(*)::float8 / t.attempts) as failure_rate,
           min(w.finished_at) as first_seen, max(w.finished_at) as last_seen,
           (array_agg(w.error_message order by w.finished_at desc))[1] as sample_message
    from window_attempts w join totals t using (task_name)
    where w.outcome in ('failed', 'timed_out')
    group by w.task_name, coalesce(w.error_class, 'Error'), t.attempts
    order by count desc`.execute(db);
  return {
    hours,
    failures: rows.map((row) => ({
      ...row,
      first_seen: row.first_seen.toISOString(),
      last_seen: row.last_seen.toISOString(),
    })),
  };
}
