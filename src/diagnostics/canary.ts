/**
 * The canary behind `debug_task`: it echoes its payload, can sleep while reporting progress, and
 * can fail on request, so smoke checks can prove every part of the path (enqueue, a worker of the
 * lane, progress, retries, the dead-letter queue) without touching Twilio or a mailbox.
 *
 * @example
 * // POST /api/tasks/debug_task/execute/ {"payload":{"sleep_ms":100}}
 * // → succeeds with result {"echo":{"sleep_ms":100},"attempt":1,"slept_ms":100}
 */
import { z } from "zod";
import { PermanentError } from "../engine/errors.ts";
import type { TaskContext } from "../engine/types.ts";

export const canaryPayload = z.looseObject({
  /** How long to sleep, reporting progress as it goes (default 0; at most 20 minutes, inside the
   * task's soft time limit). */
  sleep_ms: z
    .number()
    .int()
    .min(0)
    .max(20 * 60_000)
    .optional(),
  /** Progress reports spread over the sleep, at most one per 10 ms (default 10). */
  progress_steps: z.number().int().min(1).max(100).optional(),
  /**
   * `always`: every attempt fails with a retryable error, so the execution ends `dead` once its
   * attempts are spent; `permanent`: the first attempt ends it `dead` at once (default `never`).
   */
  fail: z.enum(["never", "always", "permanent"]).optional(),
  /** Fail the first N attempts with a retryable error, then succeed (default 0). */
  fail_attempts: z.number().int().min(0).max(100).optional(),
});

export type CanaryPayload = z.output<typeof canaryPayload>;

export interface CanaryResult {
  /** The payload, as given. */
  echo: CanaryPayload;
  attempt: number;
  slept_ms: number;
}

/** A requested failure, so a log or the dead-letter queue shows it was asked for. */
export class CanaryFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CanaryFailure";
  }
}

export type CanaryContext = Pick<TaskContext, "attempt" | "signal" | "progress">;

export async function runCanary(payload: CanaryPayload, ctx: CanaryContext): Promise<CanaryResult> {
  const { sleep_ms = 0, progress_steps = 10, fail = "never", fail_attempts = 0 } = payload;
  const started = Date.now();
  if (sleep_ms > 0) {
    const steps = Math.max(1, Math.min(progress_steps, Math.floor(sleep_ms / 10)));
    for (let step = 1; step <= steps; step++) {
      const due = started + Math.round((sleep_ms * step) / steps);
      // A timer may fire a millisecond before the clock reads its due time.
      while (Date.now() < due) await sleep(due - Date.now(), ctx);
      ctx.progress(Math.round((100 * step) / steps), `slept ${step} of ${steps}`);
    }
  }
  if (fail === "permanent") throw new PermanentError("failed on request (permanent)");
  if (fail === "always" || ctx.attempt <= fail_attempts) {
    throw new CanaryFailure(`failed on request (attempt ${ctx.attempt})`);
  }
  return { echo: payload, attempt: ctx.attempt, slept_ms: Date.now() - started };
}

function sleep(ms: number, { signal }: CanaryContext): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
