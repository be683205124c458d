import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/database/pool.ts";
import {
  acquireLease,
  leaseCount,
  releaseLease,
  renewLease,
} from "../../../src/engine/limits/concurrencyLease.ts";
import { createTestPool, testDb, withRollback } from "../../support/database.ts";

const minute = 60_000;

async function leaseRows(key: string) {
  const { rows } = await sql<{ holder: string }>`
    select holder from concurrency_leases where key = ${key} order by holder`.execute(testDb().db);
  return rows.map((row) => row.holder);
}

describe("concurrency leases", () => {
  it("grants exactly max of 20 concurrent acquires on two pools", async () => {
    const dbs = [createDb(createTestPool(10)), createDb(createTestPool(10))];
    const granted = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        acquireLease(dbs[i % 2] as (typeof dbs)[number], "campaign:1", `job-${i}`, {
          max: 3,
          ttlMs: minute,
        }),
      ),
    );
    expect(granted.filter(Boolean)).toHaveLength(3);
    expect(await leaseCount(testDb().db, "campaign:1")).toBe(3);
    expect(await leaseRows("campaign:1")).toHaveLength(3);
  });

  it("frees a slot on release", async () => {
    const { db } = testDb();
    const options = { max: 1, ttlMs: minute };
    expect(await acquireLease(db, "release", "a", options)).toBe(true);
    expect(await acquireLease(db, "release", "b", options)).toBe(false);
    expect(await releaseLease(db, "release", "a")).toBe(true);
    expect(await releaseLease(db, "release", "a")).toBe(false);
    expect(await acquireLease(db, "release", "b", options)).toBe(true);
    expect(await leaseRows("release")).toEqual(["b"]);
  });

  it("lets the same holder acquire again without taking a second slot", async () => {
    const { db } = testDb();
    const options = { max: 2, ttlMs: minute };
    expect(await acquireLease(db, "again", "a", options)).toBe(true);
    expect(await acquireLease(db, "again", "a", options)).toBe(true);
    expect(await leaseCount(db, "again")).toBe(1);
    expect(await acquireLease(db, "again", "b", options)).toBe(true);
    expect(await acquireLease(db, "again", "c", options)).toBe(false);
  });

  it("stops counting an expired lease and reclaims its row", async () => {
    const { db } = testDb();
    expect(await acquireLease(db, "expiry", "crashed", { max: 1, ttlMs: 100 })).toBe(true);
    expect(await acquireLease(db, "expiry", "next", { max: 1, ttlMs: minute })).toBe(false);
    await sleep(150);
    expect(await leaseCount(db, "expiry")).toBe(0);
    expect(await leaseRows("expiry")).toEqual(["crashed"]);
    expect(await acquireLease(db, "expiry", "next", { max: 1, ttlMs: minute })).toBe(true);
    expect(await leaseRows("expiry")).toEqual(["next"]);
  });

  it("renews a live lease, and refuses to renew an expired one", async () => {
    const { db } = testDb();
    expect(await acquireLease(db, "renew", "a", { max: 1, ttlMs: 100 })).toBe(true);
    expect(await renewLease(db, "renew", "a", minute)).toBe(true);
    await sleep(150);
    expect(await acquireLease(db, "renew", "b", { max: 1, ttlMs: minute })).toBe(false);

    await sql`update concurrency_leases set expires_at = clock_timestamp() - interval '1 second'
              where key = 'renew'`.execute(db);
    expect(await renewLease(db, "renew", "a", minute)).toBe(false);
    expect(await renewLease(db, "renew", "nobody", minute)).toBe(false);
    expect(await acquireLease(db, "renew", "b", { max: 1, ttlMs: minute })).toBe(true);
  });

  it("takes part in the caller's transaction", async () => {
    await withRollback(async (trx) => {
      expect(await acquireLease(trx, "outbox", "a", { max: 1, ttlMs: minute })).toBe(true);
      expect(await leaseCount(trx, "outbox")).toBe(1);
    });
    expect(await leaseCount(testDb().db, "outbox")).toBe(0);
  });

  it("refuses bad input, naming the field", async () => {
    const { db } = testDb();
    await expect(acquireLease(db, "bad", "a", { max: 0, ttlMs: minute })).rejects.toThrow(
      /max must be at least 1/,
    );
    await expect(acquireLease(db, "bad", "a", { max: 1.5, ttlMs: minute })).rejects.toThrow(
      /max must be a whole number/,
    );
    await expect(acquireLease(db, "bad", "a", { max: 1, ttlMs: -5 })).rejects.toThrow(
      /ttlMs must be at least 1/,
    );
    await expect(acquireLease(db, "", "a", { max: 1, ttlMs: minute })).rejects.toThrow(
      /key must not be empty/,
    );
    await expect(acquireLease(db, "bad", "", { max: 1, ttlMs: minute })).rejects.toThrow(
      /holder must not be empty/,
    );
    await expect(renewLease(db, "bad", "a", 0)).rejects.toThrow(/ttlMs must be at least 1/);
    expect(await leaseRows("bad")).toEqual([]);
  });
});
