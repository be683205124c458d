import { circuitBreakerListNotClosed } from "../../engine/limits/circuitBreaker.ts";
import type { AlertCondition } from "./condition.ts";

/**
 * `circuit_open`: a circuit breaker is open, or half-open while one caller probes the service
 * (it has not recovered yet); one instance per breaker.
 */
export const circuitOpen: AlertCondition = {
  name: "circuit_open",
  async evaluate(db) {
    const breakers = await circuitBreakerListNotClosed(db);
    return breakers.map((breaker) => ({
      key: breaker.name,
      severity: "critical",
      summary: `circuit breaker ${breaker.name} is ${breaker.state === "open" ? "open" : "half-open"}`,
      details: {
        breaker: breaker.name,
        state: breaker.state,
        failures: breaker.failures,
        opened_at: breaker.openedAt?.toISOString() ?? null,
      },
    }));
  },
};
