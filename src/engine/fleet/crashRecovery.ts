/**
 * Frees the jobs of worker processes that stopped heartbeating. graphile-worker alone waits
 * 4 hours before it re-runs a crashed worker's jobs; any live Switchboard worker does it once a
 * worker has been silent past the threshold. `for update skip locked` lets several sweepers run
 * at once without freeing a worker twice.
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { workerSilent } from "./workerAlive.ts";

export interface RecoveredWorker {
  id: string;
  executions: number;
}

export async function recoverSilentWorkers(
  db: Db,
  silentAfterMs: number,
): Promise<RecoveredWorker[]> {
  return db.transaction().execute(async (trx) => {
    const silent = await sql<{ id: string; graphile_worker_ids: string[] }>`
      select id, graphile_worker_ids from workers
      where ${workerSilent(silentAfterMs)}
      for update skip locked`.execute(trx);
    const recovered: RecoveredWorker[] = [];
    for (const worker of silent.rows) {
      if (worker.graphile_worker_ids.length > 0) {
        await sql`select graphile_worker.force_unlock_workers(${worker.graphile_worker_ids}::text[])`.execute(
          trx,
        );
      }
      const orphaned = await sql<{ id: number }>`
        with orphaned as (
          update executions set status = 'retrying', updated_at = now()
          where worker_id = ${worker.id} and status = 'running'
          returning id, attempts, started_at
        ),
        history as (
          insert into execution_attempts (execution_id, attempt, worker_id, started_at, finished_at,
                                          outcome, error_class, error_message)
          select id, attempts, ${worker.id}, coalesce(started_at, now()), now(), 'abandoned',
                 'WorkerLost', ${`worker ${worker.id} stopped heartbeating`}
          from orphaned
          on conflict do nothing
        )
        select id from orphaned`.execute(trx);
      await trx
        .updateTable("workers")
        .set({ stopped_at: sql`now()`, running_jobs: 0 })
        .where("id", "=", worker.id)
        .execute();
      recovered.push({ id: worker.id, executions: orphaned.rows.length });
    }
    return recovered;
  });
}
