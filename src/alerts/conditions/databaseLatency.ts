import { databaseRoundTripMs } from "../../monitoring/databaseLatency.ts";
import type { AlertCondition } from "./condition.ts";

const SAMPLES = 3;

/**
 * `database_latency`: a `select 1` round trip takes longer than `databaseLatencyMs`. The
 * fastest of three round trips is compared, so one slow answer does not fire it.
 */
export const databaseLatency: AlertCondition = {
  name: "database_latency",
  async evaluate(db, settings) {
    let fastest = Number.POSITIVE_INFINITY;
    for (let sample = 0; sample < SAMPLES; sample++) {
      fastest = Math.min(fastest, await databaseRoundTripMs(db));
    }
    if (fastest <= settings.databaseLatencyMs) return [];
    return [
      {
        key: "",
        severity: "warning",
        summary: `database answers in ${fastest} ms`,
        details: { latency_ms: fastest, threshold_ms: settings.databaseLatencyMs },
      },
    ];
  },
};
