/**
 * Token-bucket rate limits shared by every worker: a bucket is a row in `rate_limits`, refilled
 * by the database clock, so "1 call per second to Twilio" holds across processes and machines.
 *
 * Caveat: each call is one round trip that writes the bucket's row, and callers of one key take
 * turns on its row lock. That suits limits of up to a few hundred per second per key. A busy
 * caller takes tokens in batches instead (`takeRateLimitTokens`) and spends them itself, as the
 * API does per token. A bucket created with one limit and taken with another follows the newest
 * caller's limit.
 *
 * @example
 * const taken = await takeRateLimitToken(db, "twilio.calls", parseRateLimit("1/s"));
 * if (!taken.granted) throw new SnoozeError(taken.retryAfterMs);
 */
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../database/pool.ts";
import type { RateLimit } from "../../shared/rateLimitSpec.ts";

export { parseRateLimit, type RateLimit } from "../../shared/rateLimitSpec.ts";

export type RateLimitDecision = { granted: true } | { granted: false; retryAfterMs: number };

const positive = (field: string) =>
  z.number({ error: `${field} must be a number` }).positive({ error: `${field} must be > 0` });

const rateLimitSchema = z.object({
  key: z.string({ error: "key must be a string" }).min(1, { error: "key must not be empty" }),
  limit: positive("limit"),
  perSeconds: positive("perSeconds"),
  burst: z
    .number({ error: "burst must be a number" })
    .min(1, { error: "burst must be at least 1" })
    .optional(),
});

function validated(key: string, rateLimit: RateLimit) {
  const parsed = rateLimitSchema.safeParse({ key, ...rateLimit });
  if (!parsed.success) {
    throw new RangeError(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  const { limit, perSeconds, burst = limit } = parsed.data;
  return { burst, refillPerSecond: limit / perSeconds };
}

/** Takes one token from the bucket `key`, creating the bucket full on first use. */
export async function takeRateLimitToken(
  db: Db,
  key: string,
  rateLimit: RateLimit,
): Promise<RateLimitDecision> {
  const batch = await takeRateLimitTokens(db, key, rateLimit, 1);
  return batch.granted > 0
    ? { granted: true }
    : { granted: false, retryAfterMs: batch.retryAfterMs };
}

export interface RateLimitBatch {
  /** Whole tokens taken; 0 when the bucket did not hold one. */
  granted: number;
  /** With none granted, when the next token is due; else 0. */
  retryAfterMs: number;
}

/**
 * Takes up to `wanted` tokens from the bucket `key` in one round trip: as many as it holds, at
 * least one if it holds one. The caller spends them as it likes; tokens it does not spend are
 * lost to everyone, so take what is about to be used.
 */
export async function takeRateLimitTokens(
  db: Db,
  key: string,
  rateLimit: RateLimit,
  wanted: number,
): Promise<RateLimitBatch> {
  const { burst, refillPerSecond } = validated(key, rateLimit);
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new RangeError(`wanted must be a whole number of at least 1, got ${wanted}`);
  }
  const { rows } = await sql<{ granted: number; retry_after_ms: number }>`
    select granted, retry_after_ms
    from take_rate_limit_tokens(${key}, ${burst}::float8, ${refillPerSecond}::float8, ${wanted}::int)`.execute(
    db,
  );
  const row = rows[0];
  if (!row) throw new Error(`take_rate_limit_tokens returned no row for ${key}`);
  if (row.granted > 0) return { granted: row.granted, retryAfterMs: 0 };
  return { granted: 0, retryAfterMs: Math.max(1, Math.ceil(row.retry_after_ms)) };
}
