/**
 * What a failed Twilio request means. The SDK rejects with a `RestException` carrying the HTTP
 * `status` and Twilio's error `code`; a request that got no answer rejects without a status.
 *
 * | kind           | when                                  | meaning                                         |
 * |----------------|---------------------------------------|-------------------------------------------------|
 * | `rate_limited` | HTTP 429 or code 20429                | not done; try again after Retry-After           |
 * | `not_found`    | HTTP 404                              | the resource does not exist on Twilio           |
 * | `rejected`     | any other 4xx (21211 invalid number…) | refused for good: sending it again changes nothing |
 * | `transient`    | 5xx, no answer, anything else         | Twilio or the network failed; a create may have happened |
 *
 * Only `transient` says Twilio is unwell; the other kinds are Twilio answering about the request.
 */
import type twilio from "twilio";
import { RateLimitedError } from "../engine/errors.ts";

export type TwilioFailureKind = "rate_limited" | "not_found" | "rejected" | "transient";

export interface TwilioFailure {
  kind: TwilioFailureKind;
  /** The HTTP status of Twilio's answer; null when none came. */
  status: number | null;
  /** Twilio's error code (20429, 21211…), when the answer had one. */
  code: number | null;
  message: string;
}

/** Twilio's code for "Too Many Requests", sent with HTTP 429. */
export const TWILIO_RATE_LIMITED = 20429;

/** The wait after a 429 whose Retry-After cannot be read. */
export const RETRY_AFTER_FALLBACK_MS = 1_000;

export function twilioFailureOf(error: unknown): TwilioFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RateLimitedError) {
    return { kind: "rate_limited", status: 429, code: codeOf(error.cause), message };
  }
  const rawStatus = (error as { status?: unknown })?.status;
  const status = typeof rawStatus === "number" ? rawStatus : null;
  const code = codeOf(error);
  return { kind: kindOf(status, code), status, code, message };
}

function kindOf(status: number | null, code: number | null): TwilioFailureKind {
  if (status === 429 || code === TWILIO_RATE_LIMITED) return "rate_limited";
  if (status === 404) return "not_found";
  if (status !== null && status >= 400 && status < 500) return "rejected";
  return "transient";
}

function codeOf(error: unknown): number | null {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "number" ? code : null;
}

export const isTwilioNotFound = (error: unknown) => twilioFailureOf(error).kind === "not_found";

/** Whether the failure counts against Twilio's health (the circuit breaker's `isFailure`). */
export const isTwilioOutage = (error: unknown) => twilioFailureOf(error).kind === "transient";

/**
 * The engine's reading of a failed SDK request: a rate limit becomes a `RateLimitedError` that
 * waits Retry-After (the engine knows HTTP 429, not Twilio's 20429); anything else is returned
 * as it is. Call it as soon as the request rejects: the SDK keeps response headers only on
 * `httpClient.lastResponse`, which the client's next response replaces.
 */
export function asEngineError(error: unknown, client: twilio.Twilio): unknown {
  const failure = twilioFailureOf(error);
  if (failure.kind !== "rate_limited" || error instanceof RateLimitedError) return error;
  const limited = new RateLimitedError(
    retryAfterMsOf(client) ?? RETRY_AFTER_FALLBACK_MS,
    `Twilio rate limited the request (${failure.code ?? 429}): ${failure.message}`,
  );
  limited.cause = error;
  return limited;
}

/** The Retry-After of the client's last response, if that response was a 429 carrying one. */
function retryAfterMsOf(client: twilio.Twilio): number | undefined {
  const last = (
    client.httpClient as {
      lastResponse?: { statusCode?: number; headers?: Record<string, unknown> };
    }
  ).lastResponse;
  if (last?.statusCode !== 429) return undefined;
  return retryAfterHeaderMs(last.headers?.["retry-after"]);
}

/** A Retry-After header in seconds as milliseconds (at least 1), or undefined if unreadable. */
export function retryAfterHeaderMs(header: unknown): number | undefined {
  if (header === undefined || header === null || header === "") return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.max(1, seconds * 1000) : undefined;
}
