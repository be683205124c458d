/**
 * Erlang C: how many agents a call queue needs so that a target fraction of its callers is
 * answered within a threshold, when calls arrive at random (Poisson) and wait in line.
 *
 * - traffic A (Erlangs) = arrivals per second × average handle time (seconds);
 * - Erlang B by the recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), which stays in [0, 1]
 *   for any traffic (no factorials or powers, so 5,000 Erlangs is as exact as 5);
 * - probability of waiting C(N, A) = N·B(N) / (N − A·(1 − B(N))), defined for occupancy A/N < 1;
 *   with N ≤ A the line grows without end and every caller waits (C = 1);
 * - service level SL(N) = 1 − C(N, A) · e^(−(N − A)·t / AHT) for a threshold t.
 *
 * @example
 * const traffic = trafficErlangs(200, 180); // 200 calls an hour of 3 minutes: 10 Erlangs
 * agentsNeeded({ traffic, averageHandleTimeSeconds: 180, thresholdSeconds: 20, target: 0.8 }); // 14
 */

export interface ServiceLevelInput {
  /** Offered traffic in Erlangs. */
  traffic: number;
  averageHandleTimeSeconds: number;
  /** Answered within this many seconds counts as within the service level. */
  thresholdSeconds: number;
}

/** Erlangs from arrivals per hour and the average handle time in seconds. */
export function trafficErlangs(arrivalsPerHour: number, averageHandleTimeSeconds: number): number {
  requireNonNegative("arrivalsPerHour", arrivalsPerHour);
  requireNonNegative("averageHandleTimeSeconds", averageHandleTimeSeconds);
  return (arrivalsPerHour * averageHandleTimeSeconds) / 3600;
}

/** Erlang B: the blocking probability of `agents` servers offered `traffic` Erlangs. */
export function erlangB(agents: number, traffic: number): number {
  requireAgents(agents);
  requireNonNegative("traffic", traffic);
  let blocking = 1;
  for (let n = 1; n <= agents; n++) blocking = nextErlangB(blocking, n, traffic);
  return blocking;
}

/** Erlang C: the probability that a caller waits at all; 1 when occupancy would reach 1. */
export function probabilityOfWaiting(agents: number, traffic: number): number {
  return erlangCFromB(agents, traffic, erlangB(agents, traffic));
}

/** The fraction of callers answered within the threshold with `agents` agents. */
export function serviceLevel(agents: number, input: ServiceLevelInput): number {
  requireServiceLevelInput(input);
  return serviceLevelFromB(agents, input, erlangB(agents, input.traffic));
}

/**
 * The smallest number of agents whose service level reaches `target` (a fraction in (0, 1)),
 * and always more agents than Erlangs (occupancy below 1). No traffic needs no agents.
 */
export function agentsNeeded(input: ServiceLevelInput & { target: number }): number {
  requireServiceLevelInput(input);
  if (!(input.target > 0 && input.target < 1)) {
    throw new RangeError(
      `target must be a fraction between 0 and 1 (exclusive), got ${input.target}`,
    );
  }
  if (input.traffic === 0) return 0;
  let blocking = 1;
  for (let agents = 1; ; agents++) {
    blocking = nextErlangB(blocking, agents, input.traffic);
    if (agents > input.traffic && serviceLevelFromB(agents, input, blocking) >= input.target) {
      return agents;
    }
  }
}

function nextErlangB(previous: number, agents: number, traffic: number): number {
  const offered = traffic * previous;
  return offered / (agents + offered);
}

function erlangCFromB(agents: number, traffic: number, blocking: number): number {
  if (traffic === 0) return 0;
  if (agents <= traffic) return 1;
  return (agents * blocking) / (agents - traffic * (1 - blocking));
}

function serviceLevelFromB(agents: number, input: ServiceLevelInput, blocking: number): number {
  const { traffic, averageHandleTimeSeconds, thresholdSeconds } = input;
  if (traffic === 0) return 1;
  if (agents <= traffic) return 0;
  const waiting = erlangCFromB(agents, traffic, blocking);
  return (
    1 - waiting * Math.exp((-(agents - traffic) * thresholdSeconds) / averageHandleTimeSeconds)
  );
}

function requireServiceLevelInput(input: ServiceLevelInput) {
  requireNonNegative("traffic", input.traffic);
  requireNonNegative("thresholdSeconds", input.thresholdSeconds);
  if (!(input.averageHandleTimeSeconds > 0) || !Number.isFinite(input.averageHandleTimeSeconds)) {
    throw new RangeError(
      `averageHandleTimeSeconds must be a positive number, got ${input.averageHandleTimeSeconds}`,
    );
  }
}

function requireNonNegative(name: string, value: number) {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number of at least 0, got ${value}`);
  }
}

function requireAgents(agents: number) {
  if (!Number.isSafeInteger(agents) || agents < 0) {
    throw new RangeError(`agents must be a whole number of at least 0, got ${agents}`);
  }
}
