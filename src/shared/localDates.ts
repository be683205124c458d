/**
 * Calendar dates (`YYYY-MM-DD`, no time, no zone) and the local date "now" in an IANA time
 * zone. Which instants a local day spans is the analytics' (src/analytics/period.ts); this is
 * only the calendar arithmetic around it.
 */

/** Whether the runtime knows `value` as an IANA time zone (`Europe/Paris`, `UTC`). */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether `value` is a real calendar date written `YYYY-MM-DD`. Date.parse rolls an impossible
 * date over (`2026-02-30` is March 2nd), so the date must come back unchanged.
 */
export function isCalendarDate(value: string): boolean {
  if (!CALENDAR_DATE.test(value)) return false;
  const epochMs = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(epochMs) && new Date(epochMs).toISOString().slice(0, 10) === value;
}

/** The date `days` after `date` (before, when negative). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** 1 for Monday … 7 for Sunday (ISO). */
export function isoWeekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay() || 7;
}

/** Today in `timeZone`, as YYYY-MM-DD. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(now);
}

/** Yesterday in `timeZone`, as YYYY-MM-DD. */
export function yesterdayIn(timeZone: string, now: Date = new Date()): string {
  return addDays(todayIn(timeZone, now), -1);
}

/** The Monday of the week before this one in `timeZone`. */
export function lastWeekStartIn(timeZone: string, now: Date = new Date()): string {
  const today = todayIn(timeZone, now);
  return addDays(today, -(isoWeekday(today) - 1) - 7);
}

/** The month before this one in `timeZone`. */
export function lastMonthIn(timeZone: string, now: Date = new Date()): { year: number; month: number } {
  const [year, month] = todayIn(timeZone, now).split("-").map(Number) as [number, number];
  return month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
}
