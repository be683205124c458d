/**
 * Token-bucket rate limits shared by every worker: a bucket is a row in `rate_limits`, refilled
 * by the database clock, so "1 call per second to Twilio" holds across processes and machines.
 *
 * Caveat: each call is one round trip that writes the bucket's row, and callers of one key take
 * turns on its row lock. That suits limits of up to a few hundred per second per key; it is not
 * meant for per-request limits on a busy HTTP API. A bucket created with one limit and taken
 * with another follows the newest caller's limit.
 *
 * @example
 * const taken = await takeRateLimitToken(db, "twilio.calls", parseRateLimit("1/s"));
 * if (!taken.granted) throw new SnoozeError(taken.retryAfterMs);
 */
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../database/pool.ts";

export interface RateLimit {
  /** Tokens refilled every `perSeconds`. */
  limit: number;
  perSeconds: number;
  /** Tokens that can be taken at once after a quiet spell; defaults to `limit`. */
  burst?: number;
}

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

/** Takes one token from the bucket `key`, creating the bucket full on first use. */
export async function takeRateLimitToken(
  db: Db,
  key: string,
  rateLimit: RateLimit,
): Promise<RateLimitDecision> {
  const parsed = rateLimitSchema.safeParse({ key, ...rateLimit });
  if (!parsed.success) {
    throw new RangeError(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  const { limit, perSeconds, burst = limit } = parsed.data;
  const { rows } = await sql<{ granted: boolean; retry_after_ms: number }>`
    select granted, retry_after_ms
    from take_rate_limit_token(${key}, ${burst}::float8, ${limit / perSeconds}::float8)`.execute(
    db,
  );
  const row = rows[0];
  if (!row) throw new Error(`take_rate_limit_token returned no row for ${key}`);
  if (row.granted) return { granted: true };
  return { granted: false, retryAfterMs: Math.max(1, Math.ceil(row.retry_after_ms)) };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Parses "5/s", "10/m" or "100/h" (per second, minute, hour), as Celery writes rate limits.
 * `field` names the setting in the error message.
 */
export function parseRateLimit(value: string, field = "rate limit"): RateLimit {
  const match = /^\s*(\d+)\s*\/\s*([smh])\s*$/.exec(String(value));
  const limit = Number(match?.[1]);
  if (!match || limit <= 0) {
    throw new RangeError(
      `${field} must look like "5/s", "10/m" or "100/h" with a count above 0; got ${JSON.stringify(value)}`,
    );
  }
  return { limit, perSeconds: UNIT_SECONDS[match[2] as string] as number };
}
