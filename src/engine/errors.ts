/**
 * What a task's error means to the engine. Any other error: retry per the task's strategy.
 * - `PermanentError`: fail now, no retries; the execution ends `dead`.
 * - `SnoozeError`: run again after `delayMs` without spending an attempt.
 */
export class PermanentError extends Error {
  override name = "PermanentError";
}

export class SnoozeError extends Error {
  override name = "SnoozeError";
  readonly delayMs: number;
  constructor(delayMs: number, message = `snoozed for ${delayMs} ms`) {
    super(message);
    this.delayMs = delayMs;
  }
}

/** The attempt ran past its hard time limit. */
export class TimeLimitError extends Error {
  override name = "TimeLimitError";
}

/** Thrown by a rate-limited call; the rate-limit-aware strategy waits `retryAfterMs`. */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, message = `rate limited; retry after ${retryAfterMs} ms`) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The payload did not match the task's schema, or the task found its input invalid. */
export class ValidationError extends Error {
  override name = "ValidationError";
}

/** Enqueue was refused: unknown task, bad payload or bad options. Names the field. */
export class EnqueueError extends Error {
  override name = "EnqueueError";
  readonly issues: { path: string; message: string }[];
  constructor(message: string, issues: { path: string; message: string }[] = []) {
    super(message);
    this.issues = issues;
  }
}
