/**
 * Crash recovery frees a dead worker's jobs by the ids graphile-worker locked them with, so
 * those ids must be in the worker's row before its runners fetch anything: a process killed as
 * it started would otherwise leave its first jobs locked for graphile-worker's 4 hours. A
 * graphile-worker plugin records each runner's id, and each of its workers' ids, from the
 * `startWorker` hook, which the runner awaits before its first fetch.
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";

export function recordLockerIdsPlugin(
  db: Db,
  workerId: string,
  lockerIds: Set<string>,
): GraphileConfig.Plugin {
  // graphile-worker 0.18 locks jobs with the runner's (pool's) id; one write per runner, which
  // all its workers wait for. Its workers' own ids reach the row with the next heartbeat.
  const recorded = new Map<string, Promise<void>>();
  const record = (poolId: string, graphileWorkerId: string) => {
    lockerIds.add(graphileWorkerId);
    let write = recorded.get(poolId);
    if (!write) {
      lockerIds.add(poolId);
      write = sql`update workers set graphile_worker_ids = ${[...lockerIds]}::text[]
                  where id = ${workerId}`
        .execute(db)
        .then(() => {});
      recorded.set(poolId, write);
    }
    return write;
  };
  return {
    name: "SwitchboardRecordLockerIds",
    version: "1.0.0",
    worker: {
      hooks: {
        async startWorker(_info, { worker }) {
          await record(worker.workerPool.id, worker.workerId);
        },
      },
    },
  };
}
