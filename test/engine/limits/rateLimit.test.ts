import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../src/database/pool.ts";
import {
  parseRateLimit,
  takeRateLimitToken,
  takeRateLimitTokens,
} from "../../../src/engine/limits/rateLimit.ts";
import { createTestPool, testDb } from "../../support/database.ts";

const hourly = (limit: number) => ({ limit, perSeconds: 3600 });

async function takeMany(count: number, take: () => ReturnType<typeof takeRateLimitToken>) {
  const decisions = [];
  for (let i = 0; i < count; i++) decisions.push(await take());
  return decisions.map((decision) => decision.granted);
}

describe("takeRateLimitToken", () => {
  it("grants the burst at once, then refuses until one token has refilled", async () => {
    const { db } = testDb();
    const limit = { limit: 1, perSeconds: 60, burst: 3 };
    expect(await takeMany(3, () => takeRateLimitToken(db, "burst", limit))).toEqual([
      true,
      true,
      true,
    ]);
    const refused = await takeRateLimitToken(db, "burst", limit);
    if (refused.granted) throw new Error("expected a refusal");
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("defaults the burst to the limit", async () => {
    const { db } = testDb();
    expect(await takeMany(6, () => takeRateLimitToken(db, "default-burst", hourly(5)))).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("refills with time: a token is back after retryAfterMs", async () => {
    const { db } = testDb();
    const limit = { limit: 20, perSeconds: 1, burst: 1 };
    expect((await takeRateLimitToken(db, "refill", limit)).granted).toBe(true);
    const refused = await takeRateLimitToken(db, "refill", limit);
    // At 20/s a token takes 50 ms; a slow machine may have refilled it between the two calls.
    if (!refused.granted) {
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(50);
      await sleep(refused.retryAfterMs);
    }
    expect((await takeRateLimitToken(db, "refill", limit)).granted).toBe(true);
  });

  it("refills by elapsed time but never past the burst", async () => {
    const { db } = testDb();
    const limit = { limit: 1, perSeconds: 60, burst: 4 };
    expect(await takeMany(4, () => takeRateLimitToken(db, "cap", limit))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    await sql`update rate_limits set updated_at = updated_at - interval '150 seconds'
              where key = 'cap'`.execute(db);
    expect(await takeMany(3, () => takeRateLimitToken(db, "cap", limit))).toEqual([
      true,
      true,
      false,
    ]);
    await sql`update rate_limits set updated_at = updated_at - interval '1 day'
              where key = 'cap'`.execute(db);
    expect(await takeMany(5, () => takeRateLimitToken(db, "cap", limit))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("keeps one bucket per key", async () => {
    const { db } = testDb();
    expect((await takeRateLimitToken(db, "twilio.calls", hourly(1))).granted).toBe(true);
    expect((await takeRateLimitToken(db, "twilio.calls", hourly(1))).granted).toBe(false);
    expect((await takeRateLimitToken(db, "task:generate_report", hourly(1))).granted).toBe(true);
  });

  it("grants exactly the capacity to 50 concurrent callers on two pools", async () => {
    const dbs = [createDb(createTestPool(10)), createDb(createTestPool(10))];
    const decisions = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        takeRateLimitToken(dbs[i % 2] as (typeof dbs)[number], "contended", hourly(5)),
      ),
    );
    expect(decisions.filter((decision) => decision.granted)).toHaveLength(5);
    const { rows } = await sql<{ tokens: number }>`
      select tokens from rate_limits where key = 'contended'`.execute(testDb().db);
    expect(rows[0]?.tokens).toBeGreaterThanOrEqual(0);
    expect(rows[0]?.tokens).toBeLessThan(1);
  });

  it("refuses bad limits, naming the field, without touching the database", async () => {
    const { db } = testDb();
    await expect(takeRateLimitToken(db, "bad", { limit: 0, perSeconds: 1 })).rejects.toThrow(
      /limit must be > 0/,
    );
    await expect(takeRateLimitToken(db, "bad", { limit: 1, perSeconds: -1 })).rejects.toThrow(
      /perSeconds must be > 0/,
    );
    await expect(
      takeRateLimitToken(db, "bad", { limit: 1, perSeconds: 1, burst: 0.5 }),
    ).rejects.toThrow(/burst must be at least 1/);
    await expect(takeRateLimitToken(db, "", hourly(1))).rejects.toThrow(/key must not be empty/);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from rate_limits where key in ('bad', '')`.execute(db);
    expect(rows[0]?.n).toBe(0);
  });
});

describe("takeRateLimitTokens", () => {
  it("takes as many as wanted while the bucket holds them, then what is left, then none", async () => {
    const { db } = testDb();
    const limit = hourly(10);
    expect(await takeRateLimitTokens(db, "batch", limit, 4)).toEqual({
      granted: 4,
      retryAfterMs: 0,
    });
    expect(await takeRateLimitTokens(db, "batch", limit, 4)).toEqual({
      granted: 4,
      retryAfterMs: 0,
    });
    expect(await takeRateLimitTokens(db, "batch", limit, 4)).toEqual({
      granted: 2,
      retryAfterMs: 0,
    });
    const empty = await takeRateLimitTokens(db, "batch", limit, 4);
    expect(empty.granted).toBe(0);
    // One token every 360 s.
    expect(empty.retryAfterMs).toBeGreaterThan(350_000);
    expect(empty.retryAfterMs).toBeLessThanOrEqual(360_000);
  });

  it("shares the bucket of takeRateLimitToken", async () => {
    const { db } = testDb();
    expect((await takeRateLimitTokens(db, "shared-bucket", hourly(3), 2)).granted).toBe(2);
    expect((await takeRateLimitToken(db, "shared-bucket", hourly(3))).granted).toBe(true);
    expect((await takeRateLimitToken(db, "shared-bucket", hourly(3))).granted).toBe(false);
  });

  it("never overdraws the bucket for concurrent batch takers on two pools", async () => {
    const dbs = [createDb(createTestPool(10)), createDb(createTestPool(10))];
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        takeRateLimitTokens(dbs[i % 2] as (typeof dbs)[number], "contended-batches", hourly(25), 3),
      ),
    );
    expect(batches.reduce((sum, batch) => sum + batch.granted, 0)).toBe(25);
  });

  it("refuses a batch of less than one token", async () => {
    const { db } = testDb();
    await expect(takeRateLimitTokens(db, "bad-batch", hourly(1), 0)).rejects.toThrow(
      /wanted must be a whole number of at least 1/,
    );
    await expect(takeRateLimitTokens(db, "bad-batch", hourly(1), 1.5)).rejects.toThrow(
      /wanted must be a whole number/,
    );
  });
});

describe("parseRateLimit", () => {
  it("reads per second, minute and hour", () => {
    expect(parseRateLimit("5/s")).toEqual({ limit: 5, perSeconds: 1 });
    expect(parseRateLimit("10/m")).toEqual({ limit: 10, perSeconds: 60 });
    expect(parseRateLimit(" 100 / h ")).toEqual({ limit: 100, perSeconds: 3600 });
  });

  it("names the bad value and the field", () => {
    expect(() => parseRateLimit("abc")).toThrow(/rate limit must look like .*got "abc"/);
    expect(() => parseRateLimit("0/s", "rateLimit")).toThrow(/^rateLimit must .*got "0\/s"/);
    expect(() => parseRateLimit("5/d")).toThrow(/got "5\/d"/);
    expect(() => parseRateLimit("1.5/s")).toThrow(/got "1\.5\/s"/);
  });
});
