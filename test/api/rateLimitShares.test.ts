import { setTimeout as sleep } from "node:timers/promises";
import { Kysely, PostgresDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { RateLimitShares } from "../../src/api/rateLimitShares.ts";
import type { Db } from "../../src/database/pool.ts";
import type { Database } from "../../src/database/schema.ts";
import type { RateLimit } from "../../src/engine/limits/rateLimit.ts";
import { testDb } from "../support/database.ts";

let counter = 0;
const newKey = () => `api:token:shares-${++counter}`;

/** A handle on the test database that counts the statements it sends (bucket round trips). */
function countingDb(): { db: Db; roundTrips: () => number } {
  const { pool } = testDb();
  let count = 0;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: { connect: () => pool.connect(), end: async () => {}, options: pool.options },
    }),
    log: (event) => {
      if (event.level === "query") count++;
    },
  });
  return { db, roundTrips: () => count };
}

async function bucketTokens(key: string): Promise<number> {
  const { rows } = await sql<{ tokens: number }>`
    select tokens from rate_limits where key = ${key}`.execute(testDb().db);
  return rows[0]?.tokens ?? Number.NaN;
}

async function takeMany(shares: RateLimitShares, key: string, count: number) {
  let granted = 0;
  for (let i = 0; i < count; i++) if ((await shares.take(key)).granted) granted++;
  return granted;
}

describe("RateLimitShares", () => {
  it("takes one token per request for a token within a slow limit", async () => {
    const { db, roundTrips } = countingDb();
    const shares = new RateLimitShares({ db, rateLimit: { limit: 600, perSeconds: 60 } });
    const key = newKey();
    expect(await takeMany(shares, key, 5)).toBe(5);
    expect(roundTrips()).toBe(5);
    expect(await bucketTokens(key)).toBeGreaterThanOrEqual(595);
    expect(await bucketTokens(key)).toBeLessThan(596);
  });

  it("serves a busy token from batches: far fewer bucket writes than requests", async () => {
    const { db, roundTrips } = countingDb();
    const shares = new RateLimitShares({ db, rateLimit: { limit: 100_000, perSeconds: 60 } });
    const key = newKey();
    expect(await takeMany(shares, key, 300)).toBe(300);
    expect(roundTrips()).toBeLessThan(30);
  });

  it("lets concurrent requests wait for one batch instead of each writing the bucket", async () => {
    const { db, roundTrips } = countingDb();
    const shares = new RateLimitShares({ db, rateLimit: { limit: 100_000, perSeconds: 60 } });
    const key = newKey();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => shares.take(key)));
    expect(decisions.every((decision) => decision.granted)).toBe(true);
    expect(roundTrips()).toBeLessThanOrEqual(3);
  });

  it("never spends more than the shared bucket gave out, across processes", async () => {
    // 20 at once, then one a second; batches of up to 10 (10 s of refill).
    const rateLimit: RateLimit = { limit: 20, perSeconds: 20 };
    const processes = [
      new RateLimitShares({ db: testDb().db, rateLimit, windowMs: 10_000 }),
      new RateLimitShares({ db: testDb().db, rateLimit, windowMs: 10_000 }),
    ];
    const key = newKey();
    const started = Date.now();
    let granted = 0;
    for (let i = 0; i < 60; i++) {
      if ((await (processes[i % 2] as RateLimitShares).take(key)).granted) granted++;
    }
    const refilled = Math.ceil((Date.now() - started) / 1000);
    expect(granted).toBeGreaterThanOrEqual(20);
    expect(granted).toBeLessThanOrEqual(20 + refilled);
  });

  it("refuses with the bucket's retry-after once it is empty", async () => {
    const shares = new RateLimitShares({
      db: testDb().db,
      rateLimit: { limit: 2, perSeconds: 3600 },
    });
    const key = newKey();
    expect(await takeMany(shares, key, 2)).toBe(2);
    const refused = await shares.take(key);
    if (refused.granted) throw new Error("expected a refusal");
    expect(refused.retryAfterMs).toBeGreaterThan(1_700_000);
  });

  it("drops what is left of a batch once its window has passed", async () => {
    const { db, roundTrips } = countingDb();
    const shares = new RateLimitShares({
      db,
      rateLimit: { limit: 100_000, perSeconds: 60 },
      windowMs: 200,
    });
    const key = newKey();
    // The second request finds a busy token and takes a batch; the third spends from it.
    expect(await takeMany(shares, key, 3)).toBe(3);
    expect(roundTrips()).toBe(2);
    await sleep(300);
    expect((await shares.take(key)).granted).toBe(true);
    expect(roundTrips()).toBe(3);
  });
});
