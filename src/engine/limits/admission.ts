/**
 * Holds a job back while a shared limit of its task is exhausted: the concurrency lease of its
 * key, then a token of its rate limit. A held-back job is rescheduled for when the limit should
 * allow it (the bucket's own refill time; a short jittered wait for a lease), without spending
 * an attempt and without polling in a loop.
 */
import type { Db } from "../../database/pool.ts";
import type { JobRunnerDependencies } from "../jobRunner.ts";
import type { AnyTask } from "../types.ts";
import { acquireLease, releaseLease } from "./concurrencyLease.ts";
import { parseRateLimit, takeRateLimitToken } from "./rateLimit.ts";

const LEASE_WAIT_MS = 500;

export function leaseKeyOf(task: AnyTask, payload: unknown): string | undefined {
  if (!task.concurrency) return undefined;
  const { key } = task.concurrency;
  if (typeof key === "string") return key;
  const parsed = task.payload.safeParse(payload);
  return key(parsed.success ? parsed.data : payload);
}

const holderOf = (executionId: number) => `execution:${executionId}`;

export function sharedLimitsAdmission(db: Db): Pick<JobRunnerDependencies, "admit" | "release"> {
  return {
    admit: async (task, payload, executionId) => {
      const leaseKey = leaseKeyOf(task, payload);
      if (leaseKey && task.concurrency) {
        const ttlMs = task.hardTimeLimitMs + 60_000;
        const held = await acquireLease(db, leaseKey, holderOf(executionId), {
          max: task.concurrency.max,
          ttlMs,
        });
        if (!held) return LEASE_WAIT_MS + Math.round(Math.random() * LEASE_WAIT_MS);
      }
      if (task.rateLimit) {
        const decision = await takeRateLimitToken(
          db,
          task.rateLimit.key,
          parseRateLimit(task.rateLimit.limit),
        );
        if (!decision.granted) {
          if (leaseKey) await releaseLease(db, leaseKey, holderOf(executionId));
          return Math.max(1, Math.ceil(decision.retryAfterMs));
        }
      }
      return 0;
    },
    release: async (task, payload, executionId) => {
      const leaseKey = leaseKeyOf(task, payload);
      if (leaseKey) await releaseLease(db, leaseKey, holderOf(executionId));
    },
  };
}
