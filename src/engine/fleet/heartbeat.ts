import { hostname } from "node:os";
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";

export interface HeartbeatState {
  runningJobs: number;
  jobsDone: number;
  graphileWorkerIds: string[];
  /** The previous beat failed: this one says the worker is back (see workerAlive.ts). */
  reconnected?: boolean;
}

export interface WorkerRegistration {
  type: string;
  lanes: readonly string[];
  /** The names of every task the worker's code knows (see unknownTasks.ts). */
  tasks: readonly string[];
  /** The key of its liveness lock (see livenessLock.ts). */
  lockKey: number;
}

/** Registers this worker process in `workers`. */
export async function registerWorker(
  db: Db,
  id: string,
  { type, lanes, tasks, lockKey }: WorkerRegistration,
) {
  await db
    .insertInto("workers")
    .values({
      id,
      type,
      lanes: [...lanes],
      tasks: [...tasks],
      host: hostname(),
      pid: process.pid,
      lock_key: lockKey,
    })
    .execute();
}

/**
 * Says "still alive" with what the process is doing. Returns false if the worker was declared
 * dead (its row stopped), so it must stop taking work.
 */
export async function beat(db: Db, id: string, state: HeartbeatState): Promise<boolean> {
  const result = await db
    .updateTable("workers")
    .set({
      last_seen_at: sql`now()`,
      running_jobs: state.runningJobs,
      jobs_done: state.jobsDone,
      graphile_worker_ids: state.graphileWorkerIds,
      ...(state.reconnected ? { reconnected_at: sql`now()` } : {}),
    })
    .where("id", "=", id)
    .where("stopped_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function markWorkerStopped(db: Db, id: string) {
  await db
    .updateTable("workers")
    .set({ stopped_at: sql`now()`, running_jobs: 0, last_seen_at: sql`now()` })
    .where("id", "=", id)
    .where("stopped_at", "is", null)
    .execute();
}
