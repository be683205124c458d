/**
 * What "a worker is alive" means, everywhere: it has not stopped and it was heard from (its
 * heartbeat) within `silentAfterMs` (`WORKER_SILENT_AFTER_MS`). A worker that has not stopped
 * but is silent longer is presumed dead: crash recovery frees its jobs, and health, the fleet
 * view and `/metrics` stop counting it.
 */
import { type RawBuilder, sql } from "kysely";

/** The default of `WORKER_SILENT_AFTER_MS`. */
export const defaultWorkerSilentAfterMs = 30_000;

const heardFromWithin = (silentAfterMs: number) =>
  sql`last_seen_at > now() - make_interval(secs => ${silentAfterMs / 1000}::float8)`;

/** True for a row of `workers` that is alive. */
export function workerAlive(silentAfterMs: number): RawBuilder<boolean> {
  return sql<boolean>`(stopped_at is null and ${heardFromWithin(silentAfterMs)})`;
}

/** True for a row of `workers` that has not stopped but is presumed dead. */
export function workerSilent(silentAfterMs: number): RawBuilder<boolean> {
  return sql<boolean>`(stopped_at is null and not ${heardFromWithin(silentAfterMs)})`;
}
