/**
 * The thresholds the inbound metrics depend on, with their defaults in one place (the settings
 * SHORT_ABANDON_SECONDS and SERVICE_LEVEL_SECONDS default to these).
 */
export interface MetricThresholds {
  /** A caller who hangs up after waiting less than this is a short abandon: not offered, not abandoned. */
  shortAbandonSeconds: number;
  /** Answered within this many seconds (inclusive) counts toward the service level, unless the call queue sets its own. */
  serviceLevelSeconds: number;
}

export const metricThresholdDefaults: MetricThresholds = {
  shortAbandonSeconds: 5,
  serviceLevelSeconds: 20,
};
