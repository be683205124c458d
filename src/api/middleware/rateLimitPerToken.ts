/**
 * A request budget per API token, shared by every API process: each token has a token bucket
 * (`api:token:<id>`) in Postgres. Over budget, the answer is 429 `rate_limited` with
 * `Retry-After` in whole seconds.
 *
 * A token sending a few requests a second costs one round trip to its bucket per request; a busy
 * one is served from this process's share of its bucket, taken in batches (see
 * `RateLimitShares`). Once a bucket says "empty for N ms", this process refuses that token's
 * requests for those N ms without asking again (no token can be there sooner), so a client
 * hammering past its limit does not hammer the database too. Requests without a principal (open
 * paths) are not limited here.
 *
 * @example
 * app.use(authenticate({ db }));
 * app.use(rateLimitPerToken({ db, rateLimit: parseRateLimit("600/m") }));
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Db } from "../../database/pool.ts";
import type { RateLimit } from "../../engine/limits/rateLimit.ts";
import type { Principal } from "../auth/principal.ts";
import type { AppEnv } from "../context.ts";
import { errorBody } from "../errors.ts";
import { RateLimitShares } from "../rateLimitShares.ts";

export interface RateLimitPerTokenOptions {
  db: Db;
  /** Requests per token; `API_RATE_LIMIT` (default 600/m). */
  rateLimit: RateLimit;
  /** How much of a busy token's traffic one batch of its tokens covers; default 100 ms. */
  shareWindowMs?: number;
}

/** The bucket of a token (`api:token:<id>`) or of a dashboard user signed in with a password. */
export const rateLimitKey = (principal: Pick<Principal, "key">) => `api:${principal.key}`;

/** Limits each authenticated token to `rateLimit` requests; 429 with `Retry-After` beyond. */
export function rateLimitPerToken(options: RateLimitPerTokenOptions): MiddlewareHandler<AppEnv> {
  const { db, rateLimit } = options;
  const shares = new RateLimitShares({ db, rateLimit, windowMs: options.shareWindowMs });
  const emptyUntil = new Map<string, number>();

  const refuse = (c: Context<AppEnv>, retryAfterMs: number) => {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const message = `Rate limit of ${rateLimit.limit} requests per ${rateLimit.perSeconds} s exceeded; retry in ${seconds} s`;
    return c.json(errorBody("rate_limited", message), 429, { "Retry-After": String(seconds) });
  };

  return async function limitRequestsPerToken(c, next) {
    const principal = c.get("principal") as Principal | undefined;
    if (!principal) return next();
    const now = Date.now();
    const until = emptyUntil.get(principal.key);
    if (until !== undefined) {
      if (until > now) return refuse(c, until - now);
      emptyUntil.delete(principal.key);
    }
    const decision = await shares.take(rateLimitKey(principal));
    if (!decision.granted) {
      emptyUntil.set(principal.key, now + decision.retryAfterMs);
      return refuse(c, decision.retryAfterMs);
    }
    await next();
  };
}
