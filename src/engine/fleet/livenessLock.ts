/**
 * The lock a worker process holds for as long as it lives (see `workerAlive.ts`): a session
 * advisory lock on the connection it also LISTENs on, taken again whenever that connection
 * comes back. The key is random per worker; were two workers ever to draw the same key, the
 * second would look alive to the lock test while it is held by the first, and would be found by
 * its silence instead.
 */
import { randomInt } from "node:crypto";
import type { PoolClient } from "pg";
import { workerLockClass } from "./workerAlive.ts";

/** A new worker's lock key. */
export function newLockKey(): number {
  return randomInt(-(2 ** 31), 2 ** 31);
}

/** Takes the worker's lock on `client` and records on which run of the server. */
export async function holdLivenessLock(
  client: PoolClient,
  workerId: string,
  lockKey: number,
): Promise<void> {
  await client.query("select pg_advisory_lock($1, $2)", [workerLockClass, lockKey]);
  await client.query(
    "update workers set lock_server_started_at = pg_postmaster_start_time() where id = $1",
    [workerId],
  );
}
