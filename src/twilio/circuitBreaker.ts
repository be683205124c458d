/**
 * Twilio's REST API behind one circuit breaker shared by every worker (`twilio.api`, a row in
 * `circuit_breakers`): after `failureThreshold` consecutive outages (5xx, no answer) requests
 * fail at once with `CircuitOpenError`, a retryable error whose `retryAfterMs` is the time until
 * one request probes Twilio again. Twilio refusing a request (a 4xx: an invalid number, a
 * missing call, a rate limit) shows that Twilio is up, so it does not count.
 *
 * The options are read here only: the breaker's defaults (seed 000: 5 failures, 5 minutes),
 * overridden by `TwilioService.circuitBreaker`.
 *
 * @example
 * const call = await twilioRequest(db, twilio, (client) => client.calls(sid).fetch());
 */
import type twilio from "twilio";
import type { TwilioService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import {
  type CircuitBreakerOptions,
  circuitBreakerDefaults,
  withCircuitBreaker,
} from "../engine/limits/circuitBreaker.ts";
import { asEngineError, isTwilioOutage } from "./errors.ts";

export const TWILIO_CIRCUIT_BREAKER = "twilio.api";

function twilioCircuitBreakerOptions(
  twilio: Pick<TwilioService, "circuitBreaker">,
): CircuitBreakerOptions {
  return { ...circuitBreakerDefaults, ...twilio.circuitBreaker, isFailure: isTwilioOutage };
}

/**
 * Sends one SDK request through the breaker. A rate limit rejects as a `RateLimitedError`
 * carrying Retry-After (see `asEngineError`); other failures reject as the SDK gave them.
 */
export function twilioRequest<T>(
  db: Db,
  twilio: Pick<TwilioService, "client" | "circuitBreaker">,
  request: (client: twilio.Twilio) => Promise<T>,
): Promise<T> {
  return withCircuitBreaker(db, TWILIO_CIRCUIT_BREAKER, twilioCircuitBreakerOptions(twilio), () =>
    request(twilio.client).catch((error: unknown) => {
      throw asEngineError(error, twilio.client);
    }),
  );
}
