/**
 * Ends the executions whose job is gone. A job leaves graphile-worker's table in one
 * transaction with its execution's change (cancel, retry, reschedule), or after the worker
 * wrote its ending durably (dead, cancelled, expired) — all but successes, which the ledger
 * writer commits in batches without waiting for the disk. So a live execution without its
 * job succeeded and the write saying so was lost: its worker was killed between the job's
 * completion and the next flush, or the database crashed before the batch reached the disk.
 *
 * One sweeper at a time (an advisory lock); a flush that lands after the sweep still adds what
 * it knew (result, attempts, worker), without moving the status. The sweep skips rows a ledger
 * flush holds: it never waits on one, so the two cannot deadlock (the flush's executions are
 * being ended anyway).
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { liveStatuses, statusList } from "../executionStatus.ts";

/** Most executions one sweep ends, so a sweep stays a short transaction. */
const SWEEP_LIMIT = 10_000;

export async function reconcileVanishedJobs(db: Db): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(hashtext('switchboard.reconcile_vanished_jobs')) as locked
    `.execute(trx);
    if (!lock[0]?.locked) return 0;
    const { rows } = await sql<{ id: number }>`
      update executions e set
        status = 'succeeded', job_id = null, progress = 100,
        finished_at = coalesce(e.finished_at, now()), updated_at = now()
      where e.id in (
        select x.id from executions x
        where x.status in (${statusList(liveStatuses)})
          and x.job_id is not null
          and not exists (select 1 from graphile_worker._private_jobs j where j.id = x.job_id)
        limit ${SWEEP_LIMIT}
        for update skip locked
      )
      returning e.id`.execute(trx);
    return rows.length;
  });
}

/**
 * Ends the executions whose job has spent its attempts without an ending being written: the job
 * sits unlocked with attempts = max_attempts, which graphile-worker never fetches again. Crash
 * recovery ends most such executions itself; this catches the rest (an ending that could not be
 * written on the last attempt). They end `dead`, with `WorkerLost` unless an error was recorded.
 */
export async function endExhaustedJobs(db: Db): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(hashtext('switchboard.end_exhausted_jobs')) as locked
    `.execute(trx);
    if (!lock[0]?.locked) return 0;
    const { rows } = await sql<{ id: number }>`
      with exhausted as (
        select j.id as job_id, j.last_error, x.id as execution_id
        from graphile_worker._private_jobs j
        join executions x on x.job_id = j.id
        where j.attempts >= j.max_attempts and j.locked_at is null
          and x.status in (${statusList(liveStatuses)})
        limit ${SWEEP_LIMIT}
        for update of j, x skip locked
      ),
      deleted as (
        delete from graphile_worker._private_jobs j using exhausted x where j.id = x.job_id
      )
      update executions e set
        status = 'dead', job_id = null, finished_at = now(), updated_at = now(),
        error_class = coalesce(e.error_class, 'WorkerLost'),
        error_message = coalesce(x.last_error, e.error_message,
                                 'its attempts were spent without an ending being recorded')
      from exhausted x
      where e.id = x.execution_id
      returning e.id`.execute(trx);
    return rows.length;
  });
}
