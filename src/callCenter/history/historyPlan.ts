/**
 * The shape of a generated call-center history, decided before anything is written: which local
 * days, how many calls each (weekends quieter), and when in the day calls arrive (busier in
 * business hours). Pure and seeded: the same options give the same plan.
 */

export interface HistoryOptions {
  days: number;
  callsPerDay: number;
  agents: number;
  callQueues: number;
  campaigns: number;
  seed: number;
  /** The last local day of the history, `YYYY-MM-DD`. */
  endDate: string;
  timeZone: string;
}

export interface HistoryPlan {
  /** Local days, oldest first. */
  dates: string[];
  /** Calls of each day; they sum to `days × callsPerDay`. */
  callsByDay: number[];
  /** Fraction of the local day at quantile k/1000 of the arrival distribution (1,001 entries). */
  arrivalQuantiles: number[];
  /** Each local hour's share of arrivals relative to the busiest hour (0..1]. */
  hourLoad: number[];
}

/** Relative arrivals per local hour: quiet at night, peaks mid-morning and mid-afternoon. */
const hourWeights = [
  0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.8, 1.4, 1.9, 2.0, 1.9, 1.5, 1.7, 1.9, 1.8, 1.5, 1.1, 0.7,
  0.5, 0.4, 0.3, 0.25, 0.2,
];

/** Relative arrivals per weekday, Sunday first. */
const weekdayWeights = [0.3, 1.15, 1.05, 1.05, 1.05, 1.0, 0.45];

const quantileSteps = 1000;
/** The shortest local day (a day that springs forward), in seconds. */
const shortestDaySeconds = 23 * 3600;
/** An agent's turn must leave room for talk, wrap-up and an idle second, in whole seconds. */
const minimumTurnSeconds = 5;

export const historyLimits = {
  days: 3660,
  callsPerDay: 10_000_000,
  agents: 100_000,
  callQueues: 10_000,
  campaigns: 10_000,
  seed: 2_147_483_647,
} as const;

/**
 * The most calls a day may hold so that each agent, taking every `agents`-th call of the day,
 * has time to finish one call before the next.
 */
export function maxCallsPerDay(agents: number): number {
  const busiestHour = Math.max(...hourWeights) / mean(hourWeights);
  const busiestDay = Math.max(...weekdayWeights) / mean(weekdayWeights);
  const turnSpan = shortestDaySeconds / busiestHour;
  return Math.floor(((agents - 0.5) * turnSpan) / minimumTurnSeconds / busiestDay);
}

export function planHistory(options: HistoryOptions): HistoryPlan {
  const dates = localDates(options.endDate, options.days);
  const weights = dates.map(
    (date) => weekdayWeights[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? 1,
  );
  const total = options.days * options.callsPerDay;
  const weightSum = weights.reduce((sum, weight) => sum + (weight ?? 0), 0);
  const callsByDay: number[] = [];
  let cumulative = 0;
  let allocated = 0;
  for (const weight of weights) {
    cumulative += weight ?? 0;
    const upTo = Math.round((total * cumulative) / weightSum);
    callsByDay.push(upTo - allocated);
    allocated = upTo;
  }
  const busiest = Math.max(...hourWeights);
  return {
    dates,
    callsByDay,
    arrivalQuantiles: arrivalQuantiles(),
    hourLoad: hourWeights.map((weight) => weight / busiest),
  };
}

/** `days` consecutive dates ending with `endDate`. */
function localDates(endDate: string, days: number): string[] {
  const end = Date.parse(`${endDate}T00:00:00Z`);
  return Array.from({ length: days }, (_, index) =>
    new Date(end - (days - 1 - index) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** The inverse of the hourly arrival distribution, sampled at 1,001 evenly spaced quantiles. */
function arrivalQuantiles(): number[] {
  const sum = hourWeights.reduce((total, weight) => total + weight, 0);
  const quantiles: number[] = [];
  let hour = 0;
  let before = 0;
  for (let step = 0; step <= quantileSteps; step++) {
    const target = step / quantileSteps;
    while (hour < 23 && before + (hourWeights[hour] ?? 0) / sum < target) {
      before += (hourWeights[hour] ?? 0) / sum;
      hour++;
    }
    const within = (target - before) / ((hourWeights[hour] ?? 1) / sum);
    quantiles.push(Math.min(1, (hour + Math.min(1, Math.max(0, within))) / 24));
  }
  return quantiles;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
