/**
 * What must hold between the ledger and graphile-worker's jobs whenever nothing is in flight.
 * Tests that drive the engine or the API hard check it afterwards.
 */
import { sql } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import { liveStatuses, statusList } from "../../src/engine/executionStatus.ts";

export interface Orphans {
  /** Live executions whose job is gone: nothing will ever end them. */
  executionsWithoutJob: number[];
  /** Jobs that no live execution owns: they would run work that has ended, or no work at all. */
  jobsWithoutExecution: number[];
}

/**
 * No live execution without its job, no job without a live execution. A crontab job has no
 * execution until it starts (it carries no envelope), so it does not count.
 */
export async function orphanIds(db: Db): Promise<Orphans> {
  const { rows: executions } = await sql<{ id: number }>`
    select e.id from executions e
    where e.status in (${statusList(liveStatuses)})
      and not exists (select 1 from graphile_worker._private_jobs j where j.id = e.job_id)
    order by e.id`.execute(db);
  const { rows: jobs } = await sql<{ id: number }>`
    select j.id from graphile_worker._private_jobs j
    where j.payload->>'e' is not null
      and not exists (select 1 from executions e
                      where e.job_id = j.id and e.status in (${statusList(liveStatuses)}))
    order by j.id`.execute(db);
  return {
    executionsWithoutJob: executions.map((row) => Number(row.id)),
    jobsWithoutExecution: jobs.map((row) => Number(row.id)),
  };
}
