/**
 * What must hold between the ledger and graphile-worker's jobs once nothing is moving (no worker
 * mid-job, no request in flight): every live execution has its job, and every job belongs to an
 * execution. Empty lists mean it holds.
 */
import { sql } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import { liveStatuses, statusList } from "../../src/engine/executionStatus.ts";

export interface ExecutionJobMismatches {
  /** Public ids of live executions whose `job_id` is null or names no job. */
  executionsWithoutJob: string[];
  /**
   * Ids of jobs no execution names as its `job_id`, or whose envelope names another execution.
   * A crontab job that has not started yet carries no execution and is not counted.
   */
  jobsWithoutExecution: string[];
}

export async function executionJobMismatches(db: Db): Promise<ExecutionJobMismatches> {
  const executions = await sql<{ public_id: string }>`
    select x.public_id from executions x
    where x.status in (${statusList(liveStatuses)})
      and not exists (select 1 from graphile_worker._private_jobs j where j.id = x.job_id)
    order by x.id`.execute(db);
  const jobs = await sql<{ id: string }>`
    select j.id::text as id from graphile_worker._private_jobs j
    where not exists (
        select 1 from executions x
        where x.job_id = j.id
          and (not (j.payload::jsonb ? 'e') or x.id::text = j.payload::jsonb ->> 'e')
      )
      and not (j.payload::jsonb ? '_cron' and not j.payload::jsonb ? 'e')
    order by j.id`.execute(db);
  return {
    executionsWithoutJob: executions.rows.map((row) => row.public_id),
    jobsWithoutExecution: jobs.rows.map((row) => row.id),
  };
}
