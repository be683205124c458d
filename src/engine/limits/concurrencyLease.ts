/**
 * Concurrency leases: at most `max` holders of a key at once across the fleet ("3 concurrent
 * calls per campaign"). A lease is a row in `concurrency_leases` that expires unless renewed, so
 * a crashed worker's slot comes back after `ttlMs` without anyone cleaning up.
 *
 * Caveat: a holder that outlives its TTL without renewing loses its slot silently; renew well
 * before the TTL (e.g. every ttlMs / 3) when the work can run long. Acquiring again with the same
 * holder extends that holder's lease instead of taking a second slot, so a retried job can use
 * its job id as the holder. Called inside a transaction, the lease only exists once that
 * transaction commits, and other acquires of the key wait for it.
 *
 * @example
 * if (!(await acquireLease(db, `campaign:${id}`, jobId, { max: 3, ttlMs: 60_000 }))) {
 *   // All 3 slots are taken: try again later.
 * }
 * try { await placeCall(); } finally { await releaseLease(db, `campaign:${id}`, jobId); }
 */
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../database/pool.ts";

export interface LeaseOptions {
  /** Live leases allowed on the key at once. */
  max: number;
  /** How long the lease lives unless renewed. */
  ttlMs: number;
}

// The first key of the two-key advisory lock; the second is hashtext(key).
const LEASE_LOCK_SPACE = 0x4c454153; // "LEAS"

const nonEmpty = (field: string) =>
  z.string({ error: `${field} must be a string` }).min(1, { error: `${field} must not be empty` });
const positiveInteger = (field: string) =>
  z
    .int({ error: `${field} must be a whole number` })
    .min(1, { error: `${field} must be at least 1` });

const leaseSchema = z.object({ key: nonEmpty("key"), holder: nonEmpty("holder") });
const acquireSchema = leaseSchema.extend({
  max: positiveInteger("max"),
  ttlMs: positiveInteger("ttlMs"),
});
const renewSchema = leaseSchema.extend({ ttlMs: positiveInteger("ttlMs") });

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  return parsed.data;
}

/** Takes one of the key's `max` slots for `holder`; false when all are held by others. */
export async function acquireLease(
  db: Db,
  key: string,
  holder: string,
  options: LeaseOptions,
): Promise<boolean> {
  const { max, ttlMs } = parse(acquireSchema, { key, holder, ...options });
  const acquire = async (trx: Db) => {
    await sql`select pg_advisory_xact_lock(${LEASE_LOCK_SPACE}, hashtext(${key}))`.execute(trx);
    await sql`
      delete from concurrency_leases
      where key = ${key} and expires_at <= clock_timestamp()`.execute(trx);
    const { rows } = await sql`
      insert into concurrency_leases (key, holder, acquired_at, expires_at)
      select ${key}, ${holder}, clock_timestamp(),
             clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond'
      where (select count(*) from concurrency_leases where key = ${key} and holder <> ${holder})
            < ${max}::int
      on conflict (key, holder) do update set expires_at = excluded.expires_at
      returning holder`.execute(trx);
    return rows.length === 1;
  };
  return db.isTransaction ? acquire(db) : db.transaction().execute(acquire);
}

/** Gives the slot back; false when `holder` held no lease on `key`. */
export async function releaseLease(db: Db, key: string, holder: string): Promise<boolean> {
  parse(leaseSchema, { key, holder });
  const result = await sql`
    delete from concurrency_leases where key = ${key} and holder = ${holder}`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/**
 * Pushes the lease's expiry to `ttlMs` from now. False when the lease has already expired or
 * was released: the slot may belong to someone else by then, so acquire again.
 */
export async function renewLease(
  db: Db,
  key: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  parse(renewSchema, { key, holder, ttlMs });
  const result = await sql`
    update concurrency_leases
    set expires_at = clock_timestamp() + ${ttlMs}::float8 * interval '1 millisecond'
    where key = ${key} and holder = ${holder} and expires_at > clock_timestamp()`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** Live (unexpired) leases on `key`. */
export async function leaseCount(db: Db, key: string): Promise<number> {
  parse(leaseSchema.shape.key, key);
  const { rows } = await sql<{ count: number }>`
    select count(*)::int as count from concurrency_leases
    where key = ${key} and expires_at > clock_timestamp()`.execute(db);
  return rows[0]?.count ?? 0;
}
