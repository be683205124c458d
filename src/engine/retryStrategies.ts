/**
 * How long to wait before the next attempt, by strategy and, for the default `by_error_class`
 * strategy, by the class of the error (seed 000's table):
 * - connection errors: exponential backoff with full jitter;
 * - rate-limit errors (a `RateLimitedError`, an HTTP `status` of 429, or any error carrying a
 *   `retryAfterMs`): honour Retry-After. A service whose client reports rate limits its own way
 *   (a vendor error code) turns them into a `RateLimitedError` where its errors are read;
 * - validation errors: a single retry;
 * - anything else: exponential backoff with jitter.
 */
import { ZodError } from "zod";
import { isDatabaseUnavailable } from "../database/unavailable.ts";
import { RateLimitedError, ValidationError } from "./errors.ts";

export type RetryStrategy =
  | { kind: "exponential"; baseMs?: number; maxMs?: number; jitter?: boolean }
  | { kind: "fixed"; delayMs: number }
  | { kind: "rate_limit_aware"; fallbackMs?: number }
  | { kind: "none" }
  | { kind: "by_error_class" };

export type ErrorClass = "connection" | "rate_limit" | "validation" | "other";

export type RetryDecision = { retry: false } | { retry: true; delayMs: number };

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

export function classifyError(error: unknown): ErrorClass {
  if (error instanceof RateLimitedError || retryAfterMsOf(error) !== undefined) return "rate_limit";
  if ((error as { status?: unknown })?.status === 429) return "rate_limit";
  if (error instanceof ValidationError || error instanceof ZodError) return "validation";
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && connectionCodes.has(code)) return "connection";
  if (isDatabaseUnavailable(error)) return "connection";
  const cause = (error as { cause?: unknown })?.cause;
  if (cause && cause !== error) {
    const causeClass = classifyError(cause);
    if (causeClass !== "other") return causeClass;
  }
  return "other";
}

function retryAfterMsOf(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown })?.retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function exponential(attempt: number, baseMs = 1_000, maxMs = 10 * 60_000, jitter = true) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(jitter ? ceiling / 2 + (Math.random() * ceiling) / 2 : ceiling);
}

/**
 * Decides whether attempt number `attempt` (1-based, just failed) is retried, and after how long.
 * `maxAttempts` counts every attempt, the first included.
 */
export function decideRetry(
  strategy: RetryStrategy,
  error: unknown,
  attempt: number,
  maxAttempts: number,
): RetryDecision {
  if (attempt >= maxAttempts || strategy.kind === "none") return { retry: false };
  switch (strategy.kind) {
    case "fixed":
      return { retry: true, delayMs: strategy.delayMs };
    case "exponential":
      return {
        retry: true,
        delayMs: exponential(attempt, strategy.baseMs, strategy.maxMs, strategy.jitter),
      };
    case "rate_limit_aware":
      return {
        retry: true,
        delayMs: retryAfterMsOf(error) ?? strategy.fallbackMs ?? exponential(attempt),
      };
    case "by_error_class": {
      switch (classifyError(error)) {
        case "rate_limit":
          return { retry: true, delayMs: retryAfterMsOf(error) ?? exponential(attempt, 1_000) };
        case "validation":
          return attempt === 1 ? { retry: true, delayMs: 1_000 } : { retry: false };
        case "connection":
          return { retry: true, delayMs: exponential(attempt, 2_000) };
        default:
          return { retry: true, delayMs: exponential(attempt) };
      }
    }
  }
}
