/**
 * The database's clock, read in this process without a query. Expiry is a time the database
 * holds, and the ledger's times sit next to ones PostgreSQL wrote (`created_at`), so a worker
 * decides and records by the database's clock: a process whose clock is off neither expires
 * jobs that have time left nor records an attempt that started before it was enqueued.
 *
 * `sync` measures the offset between the two clocks: it reads PostgreSQL's clock and takes it
 * as the time halfway through the round trip, so the estimate is off by at most half of it. The
 * sample with the shortest round trip of the last few is kept: a reply that waited behind other
 * work says less about when PostgreSQL read its clock. An offset no larger than that
 * uncertainty is taken as none: on a busy host, a first sample with a slow reply would otherwise
 * shift a correct clock by up to half of it.
 *
 * @example
 * const clock = new DatabaseClock();
 * await clock.sync(db); // at start, then with every heartbeat
 * if (clock.now() > expiresAtMs) … // no query
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";

/** A source of the current time, in epoch milliseconds. */
export interface Clock {
  now(): number;
}

interface Sample {
  /** The database's clock minus this process's. */
  offsetMs: number;
  roundTripMs: number;
}

/** How many recent samples the offset is chosen from. */
const SAMPLES_KEPT = 6;

export class DatabaseClock implements Clock {
  #offsetMs = 0;
  #samples: Sample[] = [];

  /** Epoch milliseconds on the database's clock (this process's clock until the first `sync`). */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** The database's clock minus this process's, as last learned. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Reads the database's clock once and updates the offset. */
  async sync(db: Db): Promise<void> {
    // On a connection already held, so the round trip does not include a wait for the pool.
    const sample = db.isTransaction
      ? await readClock(db)
      : await db.connection().execute(readClock);
    this.#samples = [...this.#samples.slice(1 - SAMPLES_KEPT), sample];
    const best = this.#samples.reduce((a, b) => (b.roundTripMs <= a.roundTripMs ? b : a));
    this.#offsetMs =
      Math.abs(best.offsetMs) <= best.roundTripMs / 2 ? 0 : Math.round(best.offsetMs);
  }
}

async function readClock(connection: Db): Promise<Sample> {
  const sentAt = Date.now();
  const { rows } = await sql<{ at: number }>`
    select (extract(epoch from clock_timestamp()) * 1000)::float8 as at`.execute(connection);
  const receivedAt = Date.now();
  const at = (rows[0] as { at: number }).at;
  return { offsetMs: at - (sentAt + receivedAt) / 2, roundTripMs: receivedAt - sentAt };
}
