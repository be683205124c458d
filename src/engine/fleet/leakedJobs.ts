/**
 * Jobs a live worker still holds locked but no longer runs. graphile-worker writes a job's
 * completion after the task returns and does not retry it when the database is away, so a job
 * that ended during an outage stays locked by a worker that has moved on. Each worker settles its
 * own such jobs like a lost worker's (see `crashRecovery.ts`): deleted if their execution ended,
 * otherwise run again. A fetch whose answer was lost as the database went away leaves such a
 * job too.
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { settleHeldJobs } from "./crashRecovery.ts";

/**
 * How long a job must have been locked, and not be in hand here, before it counts as leaked:
 * the moments between a fetch and the task's start, and between its end and graphile-worker's
 * completion, stay well below it.
 */
export const leakedAfterMs = 10_000;

export async function settleLeakedJobs(
  db: Db,
  worker: {
    id: string;
    graphileWorkerIds: string[];
    jobsInHand: string[];
    /** Longer than `leakedAfterMs` when jobs may wait in a graphile-worker local queue. */
    heldForMs?: number;
  },
): Promise<{ requeued: number; dead: number }> {
  if (worker.graphileWorkerIds.length === 0) return { requeued: 0, dead: 0 };
  return db.transaction().execute((trx) =>
    settleHeldJobs(trx, {
      workerId: worker.id,
      jobs: sql<boolean>`j.locked_by = any(${worker.graphileWorkerIds}::text[])
        and j.locked_at < now() - make_interval(secs => ${(worker.heldForMs ?? leakedAfterMs) / 1000}::float8)
        and not j.id = any(${worker.jobsInHand}::bigint[])`,
      message: `worker ${worker.id} could not record this attempt's end: the database was unreachable`,
    }),
  );
}
