/**
 * The lock a worker process holds for as long as it lives (see `workerAlive.ts`): a shared
 * session advisory lock, held on two connections of its own (the one it LISTENs on and one that
 * only holds the lock), each taking it again whenever it comes back. The sweep's exclusive try
 * succeeds only once both are gone, as they are when the process is: one connection cut by a
 * proxy or an idle timeout does not make a live worker look dead. The key is random per worker;
 * were two workers ever to draw the same key, the second would look alive to the lock test
 * while it is held by the first, and would be found by its silence instead.
 */
import { randomInt } from "node:crypto";
import type { PoolClient } from "pg";
import { workerLockClass } from "./workerAlive.ts";

/** A new worker's lock key. */
export function newLockKey(): number {
  return randomInt(-(2 ** 31), 2 ** 31);
}

/** How many connections hold a worker's lock. */
export const livenessLockHolders = 2;

/**
 * Takes the worker's lock on `client` and records on which run of the server. Returns false if
 * the worker was declared dead meanwhile (its row stopped): it must not go on as if alive.
 */
export async function holdLivenessLock(
  client: PoolClient,
  workerId: string,
  lockKey: number,
): Promise<boolean> {
  await client.query("select pg_advisory_lock_shared($1, $2)", [workerLockClass, lockKey]);
  const { rowCount } = await client.query(
    `update workers set lock_server_started_at = pg_postmaster_start_time()
     where id = $1 and stopped_at is null`,
    [workerId],
  );
  return rowCount === 1;
}
