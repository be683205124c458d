/**
 * What "a worker is alive" means, everywhere: it has not stopped and it was heard from (its
 * heartbeat) within `silentAfterMs` (`WORKER_SILENT_AFTER_MS`). Health, the fleet view and
 * `/metrics` count alive workers.
 *
 * Crash recovery presumes a worker dead on either of two pieces of evidence:
 * - its process is gone: the session advisory lock it holds on a connection of its own (see
 *   `livenessLock.ts`) can be taken, and it was taken on this run of this server (not before a
 *   restart or a failover, which end every session) — known within a sweep, for a killed or
 *   crashed process whose connection closed;
 * - it is silent past the threshold — for a host lost without closing its connections, or a
 *   process paused (SIGSTOP, a frozen VM). The silence is counted from the latest of its last
 *   heartbeat, the server's last start, and the last time any worker got back to the database
 *   after its heartbeats failed: a restart, or an outage that cut the fleet off, does not make
 *   every worker look dead when it comes back.
 */
import { type RawBuilder, sql } from "kysely";

/** The default of `WORKER_SILENT_AFTER_MS`. */
export const defaultWorkerSilentAfterMs = 30_000;

/** The advisory lock class (the first key of the two-key form) of worker liveness locks. */
export const workerLockClass = 0x5377_6b72; // "Swkr"

const silentFor = (silentAfterMs: number) =>
  sql`make_interval(secs => ${silentAfterMs / 1000}::float8)`;

/** True for a row of `workers` that is alive. */
export function workerAlive(silentAfterMs: number): RawBuilder<boolean> {
  return sql<boolean>`(stopped_at is null and last_seen_at > now() - ${silentFor(silentAfterMs)})`;
}

/** True for a row of `workers` that has not stopped but has been silent past the threshold. */
export function workerSilent(silentAfterMs: number): RawBuilder<boolean> {
  return sql<boolean>`(stopped_at is null
    and greatest(last_seen_at, pg_postmaster_start_time(),
                 (select max(w.reconnected_at) from workers w where w.reconnected_at is not null))
        <= now() - ${silentFor(silentAfterMs)})`;
}

/**
 * True for a row of `workers` whose process is gone: no connection holds its (shared) lock any
 * more. It takes the lock until the end of the transaction when it is free: use it inside the
 * sweep's transaction only.
 */
export function workerProcessGone(): RawBuilder<boolean> {
  return sql<boolean>`(stopped_at is null and ${workerLockFree()})`;
}

/**
 * True for a row of `workers` whose lock was taken on this run of the server and is free now;
 * like `workerProcessGone`, it takes the lock until the end of the transaction.
 */
export function workerLockFree(): RawBuilder<boolean> {
  return sql<boolean>`(lock_server_started_at = pg_postmaster_start_time()
    and pg_try_advisory_xact_lock(${workerLockClass}, lock_key))`;
}
