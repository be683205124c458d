import { hostname } from "node:os";
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";

export interface HeartbeatState {
  runningJobs: number;
  jobsDone: number;
  graphileWorkerIds: string[];
}

export interface WorkerRegistration {
  type: string;
  lanes: readonly string[];
  /** The names of every task the worker's code knows (see unknownTasks.ts). */
  tasks: readonly string[];
}

/** Registers this worker process in `workers`. */
export async function registerWorker(
  db: Db,
  id: string,
  { type, lanes, tasks }: WorkerRegistration,
) {
  await db
    .insertInto("workers")
    .values({ id, type, lanes: [...lanes], tasks: [...tasks], host: hostname(), pid: process.pid })
    .execute();
}

/** Says "still alive" with what the process is doing. */
export async function beat(db: Db, id: string, state: HeartbeatState) {
  await db
    .updateTable("workers")
    .set({
      last_seen_at: sql`now()`,
      running_jobs: state.runningJobs,
      jobs_done: state.jobsDone,
      graphile_worker_ids: state.graphileWorkerIds,
    })
    .where("id", "=", id)
    .execute();
}

export async function markWorkerStopped(db: Db, id: string) {
  await db
    .updateTable("workers")
    .set({ stopped_at: sql`now()`, running_jobs: 0, last_seen_at: sql`now()` })
    .where("id", "=", id)
    .execute();
}
