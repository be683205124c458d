import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { PARKED_BY } from "../engine/fleet/unknownTasks.ts";

export interface JobBacklog {
  waiting: number;
  locked: number;
  /** Jobs of tasks no live worker knows, held out of the fetch (see unknownTasks.ts). */
  parked: number;
  failing: number;
  oldestWaitingSeconds: number | null;
}

/**
 * Counts graphile-worker's pending jobs: ready to run, locked by a worker, parked, and with
 * errors.
 */
export async function jobBacklogGet(db: Db): Promise<JobBacklog> {
  const { rows } = await sql<JobBacklog>`
    select
      count(*) filter (where locked_at is null and run_at <= now())::int as waiting,
      count(*) filter (where locked_by is distinct from ${PARKED_BY} and locked_at is not null)::int
        as locked,
      count(*) filter (where locked_by = ${PARKED_BY})::int as parked,
      count(*) filter (where last_error is not null)::int as failing,
      extract(epoch from now() - min(run_at) filter (where locked_at is null and run_at <= now()))::float8
        as "oldestWaitingSeconds"
    from graphile_worker.jobs`.execute(db);
  return rows[0] as JobBacklog;
}
