/**
 * Frees the jobs of worker processes presumed dead (see `workerAlive.ts`: the process is gone, or
 * it has been silent past the threshold). graphile-worker alone waits 4 hours before it re-runs a
 * crashed worker's jobs; any live Switchboard worker does it within a sweep. `for update skip
 * locked` lets several sweepers run at once without freeing a worker twice.
 *
 * Each job the dead worker held is settled by what its execution says:
 * - the execution already ended (its ending was written, the job's completion was not): the job
 *   is deleted;
 * - the execution is live: the attempt it was on is recorded as abandoned (`WorkerLost`, unless
 *   the worker recorded that attempt's ending itself, as it does for a task that overran its hard
 *   time limit); with attempts left the job runs again — at once the first time, then with an
 *   exponential backoff, so a job that kills its worker does not take down the fleet one process
 *   after another — otherwise the execution ends `dead` and the job is deleted;
 * - a job whose execution has moved on to another job is deleted; a job without an envelope
 *   (a crontab job not yet started) is only unlocked.
 */
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { statusList, terminalStatuses } from "../executionStatus.ts";
import { workerLockFree, workerProcessGone, workerSilent } from "./workerAlive.ts";

/** The wait before the second run of a job whose worker was lost; it doubles on every loss after. */
export const lostJobBackoffBaseMs = 1_000;
/** The longest wait before a job whose worker was lost runs again. */
export const lostJobBackoffMaxMs = 10 * 60_000;

export type LostReason = "process_gone" | "silent";

export interface RecoveredWorker {
  id: string;
  reason: LostReason;
  /** Jobs it held that run again. */
  requeued: number;
  /** Executions that ended `dead` because that was their last attempt. */
  dead: number;
}

export async function recoverLostWorkers(
  db: Db,
  options: {
    silentAfterMs: number;
    selfId?: string;
    /**
     * Whether silence counts as evidence (default true). A sweeper whose own heartbeat is failing
     * cannot tell a silent worker from one cut off like it.
     */
    judgeSilence?: boolean;
  },
): Promise<RecoveredWorker[]> {
  const silent =
    options.judgeSilence === false ? sql<boolean>`false` : workerSilent(options.silentAfterMs);
  return db.transaction().execute(async (trx) => {
    const { rows: lost } = await sql<{
      id: string;
      graphile_worker_ids: string[];
      silent: boolean;
    }>`
      select id, graphile_worker_ids, ${silent} as silent
      from workers
      where id <> ${options.selfId ?? ""}
        and (${silent} or ${workerProcessGone()})
      for update skip locked`.execute(trx);
    const recovered: RecoveredWorker[] = [];
    for (const worker of lost) {
      const reason: LostReason = worker.silent ? "silent" : "process_gone";
      const settled =
        worker.graphile_worker_ids.length === 0
          ? { requeued: 0, dead: 0 }
          : await settleHeldJobs(trx, {
              workerId: worker.id,
              jobs: sql`j.locked_by = any(${worker.graphile_worker_ids}::text[])`,
              message:
                reason === "silent"
                  ? `worker ${worker.id} stopped heartbeating while running this`
                  : `the process of worker ${worker.id} ended while running this`,
            });
      // Job queues (named, one at a time) the worker had locked are freed too.
      if (worker.graphile_worker_ids.length > 0)
        await sql`select graphile_worker.force_unlock_workers(${worker.graphile_worker_ids}::text[])`.execute(
          trx,
        );
      await trx
        .updateTable("workers")
        .set({ stopped_at: sql`now()`, running_jobs: 0, stop_reason: reason })
        .where("id", "=", worker.id)
        .execute();
      recovered.push({ id: worker.id, reason, ...settled });
    }
    return recovered;
  });
}

export interface HeldJobs {
  /** The worker that held them. */
  workerId: string;
  /** Which locked jobs, as a condition on graphile-worker's `_private_jobs j`. */
  jobs: RawBuilder<boolean>;
  /** Why their attempts ended, for the history. */
  message: string;
}

/** Settles locked jobs that no one runs any more, as the module's comment says; run it in a transaction. */
export async function settleHeldJobs(
  trx: Db,
  { workerId, jobs, message }: HeldJobs,
): Promise<{ requeued: number; dead: number }> {
  const { rows } = await sql<{ requeued: number; dead: number }>`
    with lost as (
      select j.id as job_id, j.attempts as job_attempts, j.max_attempts, (json_typeof(j.payload) = 'object' and j.payload->>'e' is not null) as enveloped,
             e.id as execution_id, e.status, e.started_at,
             case when e.status = 'running' then e.attempts else e.attempts + 1 end as attempt
      from graphile_worker._private_jobs j
      left join executions e on e.job_id = j.id
      where ${jobs}
      for update of j
    ),
    live as (
      select * from lost
      where execution_id is not null and status not in (${statusList(terminalStatuses)})
    ),
    recorded as (
      insert into execution_attempts (execution_id, attempt, worker_id, started_at, finished_at,
                                      outcome, error_class, error_message)
      select execution_id, attempt, ${workerId}, coalesce(started_at, now()), now(), 'abandoned',
             'WorkerLost', ${message}
      from live l
      -- The worker may have recorded the attempt's end itself (a task past its hard limit).
      where not exists (select 1 from execution_attempts a
                        where a.execution_id = l.execution_id and a.attempt = l.attempt)
      on conflict do nothing
      returning execution_id
    ),
    ended as (
      update executions e set
        status = case when l.job_attempts >= l.max_attempts then 'dead' else 'retrying' end,
        attempts = l.attempt,
        job_id = case when l.job_attempts >= l.max_attempts then null else e.job_id end,
        finished_at = case when l.job_attempts >= l.max_attempts then now() end,
        error_class = case when r.execution_id is null then e.error_class else 'WorkerLost' end,
        error_message = case when r.execution_id is null then e.error_message else ${message} end,
        error_stack = case when r.execution_id is null then e.error_stack end,
        updated_at = now()
      from live l left join recorded r on r.execution_id = l.execution_id
      where e.id = l.execution_id
      returning e.status
    ),
    deleted as (
      delete from graphile_worker._private_jobs j using lost l
      where j.id = l.job_id
        and (l.status in (${statusList(terminalStatuses)})
             or (l.execution_id is null and l.enveloped)
             or (l.execution_id is not null and l.job_attempts >= l.max_attempts))
      returning j.id
    ),
    unlocked as (
      update graphile_worker._private_jobs j set
        locked_by = null, locked_at = null,
        run_at = greatest(j.run_at, now() + case when l.job_attempts <= 1 then interval '0'
          else least(${lostJobBackoffBaseMs}::float8 * 2 ^ (l.job_attempts - 2),
                     ${lostJobBackoffMaxMs}::float8) * interval '1 millisecond' end)
      from lost l
      where j.id = l.job_id and j.id not in (select id from deleted)
      returning j.run_at <= now() as due
    ),
    due as (select count(*) as count from unlocked where due)
    select (select count(*) from unlocked)::int as requeued,
           (select count(*) from ended where status = 'dead')::int as dead,
           -- Idle workers fetch at once instead of at their next poll.
           (select pg_notify('jobs:insert', json_build_object('r', random(), 'count', count)::text)
            from due where count > 0) as notified`.execute(trx);
  const row = rows[0];
  return { requeued: row?.requeued ?? 0, dead: row?.dead ?? 0 };
}

/**
 * Settles the jobs still locked by workers declared dead, once their process is gone too: a
 * worker declared dead can take jobs in the seconds before it notices, and its stopped row is no
 * longer swept. Its lock (see `livenessLock.ts`) says when the process has gone; a lock from an
 * earlier run of the server says nothing, so such a worker is given a minute to have noticed.
 */
export async function settleStrandedJobs(db: Db): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ id: string; graphile_worker_ids: string[] }>`
      select id, graphile_worker_ids from workers
      where stop_reason is not null
        and stopped_at > now() - interval '1 day'
        and exists (select 1 from graphile_worker._private_jobs j
                    where j.locked_by = any(workers.graphile_worker_ids))
        and (case when lock_server_started_at = pg_postmaster_start_time()
                  then ${workerLockFree()}
                  else stopped_at < now() - interval '1 minute' end)
      for update skip locked`.execute(trx);
    let settled = 0;
    for (const worker of rows) {
      const done = await settleHeldJobs(trx, {
        workerId: worker.id,
        jobs: sql`j.locked_by = any(${worker.graphile_worker_ids}::text[])`,
        message: `worker ${worker.id} took this after it was declared dead, and its process ended`,
      });
      settled += done.requeued + done.dead;
    }
    return settled;
  });
}
