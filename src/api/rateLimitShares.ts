/**
 * This API process's shares of the per-token rate-limit buckets.
 *
 * Taking a token from a bucket is a write in Postgres, so a client sending hundreds of requests
 * a second would cost a write per read request. Instead, each process takes a busy API token's
 * tokens in batches and spends them itself: a batch covers about `windowMs` of that token's
 * recent requests, never more than its bucket refills in `windowMs`, and the next batch is taken
 * while the last is still being spent. A token sending a few requests a second gets batches of
 * one: one take per request, as without shares.
 *
 * The limit still holds across processes, because every request spends a token that was taken
 * from the shared bucket. A share left unspent for `windowMs` after its latest batch is dropped,
 * not given back: when a client stops, its bucket is short of at most about one window's refill
 * per process, as if it had refilled that much later.
 *
 * @example
 * const shares = new RateLimitShares({ db, rateLimit: parseRateLimit("600/m") });
 * const decision = await shares.take("api:token:7");
 */
import type { Db } from "../database/pool.ts";
import {
  type RateLimit,
  type RateLimitBatch,
  type RateLimitDecision,
  takeRateLimitTokens,
} from "../engine/limits/rateLimit.ts";

export interface RateLimitSharesOptions {
  db: Db;
  rateLimit: RateLimit;
  /** How much of a token's traffic one batch covers, and how long it may be spent; 100 ms. */
  windowMs?: number;
}

interface Share {
  tokens: number;
  expiresAt: number;
  /** The last batch taken: when, how many, and requests served since. */
  takenAt: number;
  batch: number;
  servedSinceTake: number;
  /** Requests waiting for a batch. */
  waiting: number;
  taking: Promise<RateLimitBatch> | undefined;
}

export class RateLimitShares {
  readonly #db: Db;
  readonly #rateLimit: RateLimit;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #shares = new Map<string, Share>();

  constructor({ db, rateLimit, windowMs = 100 }: RateLimitSharesOptions) {
    this.#db = db;
    this.#rateLimit = rateLimit;
    this.#windowMs = windowMs;
    const refillInWindow = (rateLimit.limit / rateLimit.perSeconds) * (windowMs / 1000);
    this.#maxBatch = Math.max(
      1,
      Math.min(rateLimit.burst ?? rateLimit.limit, Math.floor(refillInWindow)),
    );
  }

  /** Spends one token of the bucket `key`: from this process's share, or a batch taken now. */
  async take(key: string): Promise<RateLimitDecision> {
    const share = this.#shareOf(key);
    for (;;) {
      if (share.expiresAt <= Date.now()) share.tokens = 0;
      if (share.tokens >= 1) {
        share.tokens--;
        share.servedSinceTake++;
        if (share.batch > 1 && share.tokens <= share.batch / 2 && !share.taking) {
          // Taken ahead; a failure here shows on the request that next needs a batch.
          this.#takeBatch(key, share).catch(() => {});
        }
        return { granted: true };
      }
      share.waiting++;
      try {
        const batch = await (share.taking ?? this.#takeBatch(key, share));
        if (batch.granted === 0) return { granted: false, retryAfterMs: batch.retryAfterMs };
      } finally {
        share.waiting--;
      }
    }
  }

  #shareOf(key: string): Share {
    let share = this.#shares.get(key);
    if (!share) {
      share = {
        tokens: 0,
        expiresAt: 0,
        takenAt: Date.now(),
        batch: 0,
        servedSinceTake: 0,
        waiting: 0,
        taking: undefined,
      };
      this.#shares.set(key, share);
    }
    return share;
  }

  #takeBatch(key: string, share: Share): Promise<RateLimitBatch> {
    const elapsedMs = Math.max(1, Date.now() - share.takenAt);
    const recent = Math.ceil((share.servedSinceTake / elapsedMs) * this.#windowMs);
    const wanted = Math.min(this.#maxBatch, Math.max(1, recent, share.waiting));
    const taking = takeRateLimitTokens(this.#db, key, this.#rateLimit, wanted)
      .then((batch) => {
        const now = Date.now();
        share.tokens += batch.granted;
        share.expiresAt = now + this.#windowMs;
        share.takenAt = now;
        share.batch = batch.granted;
        share.servedSinceTake = 0;
        return batch;
      })
      .finally(() => {
        share.taking = undefined;
      });
    share.taking = taking;
    return taking;
  }
}
