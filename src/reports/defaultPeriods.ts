/**
 * The periods scheduled reports cover when run without arguments: the previous local day, week
 * (from its Monday) and month in the report time zone.
 */
import { addDays, isoWeekStart, localDateOf } from "../analytics/period.ts";

/** Yesterday in `timeZone`, as YYYY-MM-DD. */
export function yesterdayIn(timeZone: string, now: Date = new Date()): string {
  return addDays(localDateOf(now, timeZone), -1);
}

/** The Monday of the week before this one in `timeZone`. */
export function lastWeekStartIn(timeZone: string, now: Date = new Date()): string {
  return addDays(isoWeekStart(localDateOf(now, timeZone)), -7);
}

/** The month before this one in `timeZone`. */
export function lastMonthIn(
  timeZone: string,
  now: Date = new Date(),
): { year: number; month: number } {
  const [year, month] = localDateOf(now, timeZone).split("-").map(Number) as [number, number];
  return month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
}
