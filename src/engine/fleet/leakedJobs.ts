/**
 * Jobs a live worker still holds locked but no longer runs. graphile-worker writes a job's
 * completion after the task returns and does not retry it when the database is away, so a job
 * that ended during an outage stays locked by a worker that has moved on. Each worker settles its
 * own such jobs like a lost worker's (see `crashRecovery.ts`): deleted if their execution ended,
 * otherwise run again.
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { settleHeldJobs } from "./crashRecovery.ts";

/** How long a job must have been locked, and not running here, before it counts as leaked. */
export const leakedAfterMs = 60_000;

export async function settleLeakedJobs(
  db: Db,
  worker: { id: string; graphileWorkerIds: string[]; runningExecutionIds: number[] },
): Promise<{ requeued: number; dead: number }> {
  if (worker.graphileWorkerIds.length === 0) return { requeued: 0, dead: 0 };
  return db.transaction().execute((trx) =>
    settleHeldJobs(trx, {
      workerId: worker.id,
      jobs: sql<boolean>`j.locked_by = any(${worker.graphileWorkerIds}::text[])
        and j.locked_at < now() - make_interval(secs => ${leakedAfterMs / 1000}::float8)
        and json_typeof(j.payload) = 'object' and j.payload->>'e' is not null
        and not (j.payload->>'e')::bigint = any(${worker.runningExecutionIds}::bigint[])`,
      message: `worker ${worker.id} could not record this attempt's end: the database was unreachable`,
    }),
  );
}
