/**
 * What the periodic analytics tasks recompute, around a moment (now by default):
 * - `refreshRecentHours`: the previous and the current local hour of every call queue and
 *   campaign (or the one hour holding `hour`), so an hour is rolled up once more after it ended, late calls in;
 * - `refreshAgentToday`: every agent's local day so far (or the local day `date`), and the day
 *   before during the first local hour, so yesterday is rolled up once after midnight.
 */
import type { Db } from "../database/pool.ts";
import { addDays, localDateOf, localDayRange, localHourStart } from "./period.ts";
import { refreshRollups } from "./refreshRollups.ts";
import type { MetricThresholds } from "./thresholds.ts";

const hourMs = 3_600_000;

export interface PeriodicRefreshOptions {
  timeZone: string;
  thresholds?: MetricThresholds | undefined;
  /** Default: now. */
  now?: Date;
}

export async function refreshRecentHours(
  db: Db,
  options: PeriodicRefreshOptions & { hour?: Date | undefined },
) {
  const { timeZone, thresholds } = options;
  const range = options.hour
    ? {
        from: localHourStart(options.hour, timeZone),
        to: new Date(localHourStart(options.hour, timeZone).getTime() + hourMs),
      }
    : recentHours(options.now ?? new Date(), timeZone);
  const { callQueueHours, campaignHours } = await refreshRollups(db, {
    range,
    timeZone,
    only: "hours",
    ...(thresholds ? { thresholds } : {}),
  });
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    callQueueHours,
    campaignHours,
  };
}

function recentHours(now: Date, timeZone: string) {
  const current = localHourStart(now, timeZone);
  return { from: new Date(current.getTime() - hourMs), to: new Date(current.getTime() + hourMs) };
}

export async function refreshAgentToday(
  db: Db,
  options: PeriodicRefreshOptions & { date?: string | undefined },
) {
  const { timeZone, thresholds } = options;
  const now = options.now ?? new Date();
  const today = options.date ?? localDateOf(now, timeZone);
  const days = [today];
  if (!options.date) {
    const todayStarts = localDayRange(today, timeZone).from;
    if (now.getTime() - todayStarts.getTime() < hourMs) days.unshift(addDays(today, -1));
  }
  const range = {
    from: localDayRange(days[0] as string, timeZone).from,
    to: localDayRange(today, timeZone).to,
  };
  const { agentDays } = await refreshRollups(db, {
    range,
    timeZone,
    only: "agentDays",
    ...(thresholds ? { thresholds } : {}),
  });
  return { days, agentDays };
}
