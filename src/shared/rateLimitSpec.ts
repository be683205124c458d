/**
 * A rate limit as Celery writes it ("5/s", "10/m", "100/h"): read by configuration (the API's
 * limit) and by the engine (a task's `rateLimit`), which keeps the buckets in PostgreSQL.
 */
export interface RateLimit {
  /** Tokens refilled every `perSeconds`. */
  limit: number;
  perSeconds: number;
  /** Tokens that can be taken at once after a quiet spell; defaults to `limit`. */
  burst?: number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Parses "5/s", "10/m" or "100/h" (per second, minute, hour). `field` names the setting in the
 * error message.
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
