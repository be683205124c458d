/**
 * Local periods in a report's time zone (IANA, e.g. `REPORT_TIMEZONE`), as half-open UTC ranges.
 * A local day is 23, 24 or 25 hours long across a DST change; its start is the first instant
 * of the local date (the later side of a gap, where midnight itself does not exist).
 *
 * @example
 * localDayRange("2026-03-08", "America/New_York");
 * // { from: 2026-03-08T05:00:00Z, to: 2026-03-09T04:00:00Z } — 23 hours
 */

import { wallClockOf } from "../shared/wallClock.ts";

/** Half-open: `from` included, `to` excluded. */
export interface ReportRange {
  from: Date;
  to: Date;
}

export class PeriodError extends RangeError {
  override name = "PeriodError";
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local date `YYYY-MM-DD` as [year, month, day]; throws naming `field` when it is not one. */
export function parseLocalDate(date: string, field = "date"): [number, number, number] {
  const match = datePattern.exec(date);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
  if (year === undefined || month === undefined || day === undefined) {
    throw new PeriodError(`${field}: expected a date as YYYY-MM-DD, got "${date}"`);
  }
  const check = new Date(Date.UTC(year, month - 1, day));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day
  ) {
    throw new PeriodError(`${field}: ${date} is not a calendar date`);
  }
  return [year, month, day];
}

/** Throws naming `field` unless `timeZone` is an IANA time zone the runtime knows. */
export function checkTimeZone(timeZone: string, field = "timeZone"): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
  } catch {
    throw new PeriodError(
      `${field}: expected an IANA time zone such as Europe/Paris, got "${timeZone}"`,
    );
  }
}

const checkedZones = new Set<string>();

/** The local wall-clock time of `instant` in `timeZone`, as milliseconds of a UTC-based clock. */
function wallClock(instant: number, timeZone: string): number {
  if (!checkedZones.has(timeZone)) {
    checkTimeZone(timeZone);
    checkedZones.add(timeZone);
  }
  return wallClockOf(instant, timeZone);
}

/**
 * The first instant whose local wall-clock time is at or after `wall` (milliseconds of a
 * UTC-based clock): the instant itself when it exists, the end of the gap when it falls in one.
 * Of an hour that happens twice, the first.
 */
function instantOfWallClock(wall: number, timeZone: string): Date {
  // Offsets are within ±18 h; try both offsets around the guess and keep the earliest match.
  const candidates = new Set<number>();
  for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) {
    const offset = wallClock(probe, timeZone) - probe;
    candidates.add(wall - offset);
  }
  const exact = [...candidates]
    .filter((instant) => wallClock(instant, timeZone) === wall)
    .sort((a, b) => a - b);
  if (exact[0] !== undefined) return new Date(exact[0]);
  // In a gap: the earliest candidate whose wall clock is past `wall`.
  const after = [...candidates]
    .filter((instant) => wallClock(instant, timeZone) > wall)
    .sort((a, b) => a - b);
  return new Date((after[0] ?? wall) as number);
}

/** The UTC instant local `date` (YYYY-MM-DD) starts in `timeZone`. */
export function localDateStart(date: string, timeZone: string, field = "date"): Date {
  const [year, month, day] = parseLocalDate(date, field);
  return instantOfWallClock(Date.UTC(year, month - 1, day), timeZone);
}

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = parseLocalDate(date);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The local date (YYYY-MM-DD) of `instant` in `timeZone`. */
export function localDateOf(instant: Date, timeZone: string): string {
  return new Date(wallClock(instant.getTime(), timeZone)).toISOString().slice(0, 10);
}

/** The ISO week's Monday (YYYY-MM-DD) of local `date`. */
export function isoWeekStart(date: string): string {
  const [year, month, day] = parseLocalDate(date);
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

/** The UTC instant the local hour holding `instant` starts. */
export function localHourStart(instant: Date, timeZone: string): Date {
  const wall = wallClock(instant.getTime(), timeZone);
  return new Date(instant.getTime() - (wall % 3_600_000));
}

export function localDayRange(date: string, timeZone: string): ReportRange {
  return {
    from: localDateStart(date, timeZone),
    to: localDateStart(addDays(date, 1), timeZone),
  };
}

/** Seven local days from `weekStart` (any weekday; reports pass the ISO week's Monday). */
export function localWeekRange(weekStart: string, timeZone: string): ReportRange {
  return {
    from: localDateStart(weekStart, timeZone, "weekStart"),
    to: localDateStart(addDays(weekStart, 7), timeZone, "weekStart"),
  };
}

export function localMonthRange(year: number, month: number, timeZone: string): ReportRange {
  if (!Number.isInteger(year) || year < 1970 || year > 9999) {
    throw new PeriodError(`year: expected a year from 1970 to 9999, got ${year}`);
  }
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new PeriodError(`month: expected 1 to 12, got ${month}`);
  }
  const first = new Date(Date.UTC(year, month - 1, 1)).toISOString().slice(0, 10);
  const next = new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 10);
  return { from: localDateStart(first, timeZone), to: localDateStart(next, timeZone) };
}

/** Throws naming the field unless `range` is a valid, non-empty half-open range. */
export function checkRange(range: ReportRange, field = "range"): void {
  const { from, to } = range;
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) {
    throw new PeriodError(`${field}.from: expected a valid date`);
  }
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) {
    throw new PeriodError(`${field}.to: expected a valid date`);
  }
  if (to.getTime() <= from.getTime()) {
    throw new PeriodError(`${field}.to: must be after ${field}.from`);
  }
}
