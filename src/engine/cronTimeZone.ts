/**
 * Crontab entries written in a local time zone. graphile-worker matches each UTC minute against
 * an entry; an entry in local time instead matches the minute's local wall-clock time, with
 * these rules for the days the clocks change:
 *
 * - An entry whose hour field is `*` (every hour: `5 * * * *`, `*\/10 * * * *`) follows elapsed
 *   time: it matches each real minute whose local time matches. When the clocks go forward it
 *   loses nothing (the skipped hour never happened), when they go back it runs in both copies of
 *   the repeated hour (two real hours passed).
 * - Any other entry (`0 2 * * *`, `0 3 * * 1`) names a wall-clock time and runs exactly once per
 *   day it names: at that local time; when the clocks go forward past it, at the first minute
 *   after the gap (03:00 for 02:30 on a spring-forward day in New York); when the clocks go back
 *   over it, at its first occurrence only (the earlier offset).
 *
 * @example
 * const fires = firingInTimeZone(matcherOf("30 2 * * *"), false, "America/New_York");
 * fires(Date.parse("2026-03-08T07:00:00Z")); // true: 03:00 EDT, 02:30 did not exist that day
 */
import type { CronMatcher, TimestampDigest } from "graphile-worker";
import { wallClockOf } from "../shared/wallClock.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The crontab fields of a UTC-based clock reading (`ms` of an instant, or of a wall clock). */
export function digestOf(ms: number): TimestampDigest {
  const at = new Date(ms);
  return {
    min: at.getUTCMinutes(),
    hour: at.getUTCHours(),
    date: at.getUTCDate(),
    month: at.getUTCMonth() + 1,
    dow: at.getUTCDay(),
  };
}

/** Whether a crontab hour field covers every hour (then the entry follows elapsed time). */
export function coversEveryHour(hourField: string): boolean {
  return hourField.split(",").some((part) => part === "*" || part === "*/1" || part === "0-23");
}

/**
 * Whether the entry with time fields `match` (read as local wall-clock fields) fires at the UTC
 * minute starting at `instant` (ms since the epoch, a whole minute).
 */
export function firingInTimeZone(
  match: CronMatcher,
  everyHour: boolean,
  timeZone: string,
): (instant: number) => boolean {
  return (instant) => {
    const wall = wallClockOf(instant, timeZone);
    const wallBefore = wallClockOf(instant - MINUTE, timeZone);
    if (match(digestOf(wall))) {
      if (everyHour || wall - wallBefore > MINUTE) return true;
      return !repeatsEarlierTime(instant, wall, timeZone);
    }
    if (everyHour || wall - wallBefore <= MINUTE) return false;
    // The clocks just went forward: the local times in the gap never happen, so an entry at one
    // of them runs now.
    for (let skipped = wallBefore + MINUTE; skipped < wall; skipped += MINUTE) {
      if (match(digestOf(skipped))) return true;
    }
    return false;
  };
}

/** Whether the local time `wall` of `instant` already happened earlier (the clocks went back). */
function repeatsEarlierTime(instant: number, wall: number, timeZone: string): boolean {
  const offsetNow = wall - instant;
  const offsetDayBefore = wallClockOf(instant - DAY, timeZone) - (instant - DAY);
  if (offsetDayBefore <= offsetNow) return false;
  const firstCopy = instant - (offsetDayBefore - offsetNow);
  return wallClockOf(firstCopy, timeZone) === wall;
}

/**
 * The instant of a UTC digest, which has no year: graphile-worker only asks about minutes near
 * now (the current minute, or a backfill reaching back days), so the year that puts the digest
 * closest to `now` is the one.
 */
export function instantOfDigest(digest: TimestampDigest, now: number = Date.now()): number {
  const year = new Date(now).getUTCFullYear();
  let best = Number.NaN;
  for (const candidate of [year - 1, year, year + 1]) {
    const instant = Date.UTC(candidate, digest.month - 1, digest.date, digest.hour, digest.min);
    if (new Date(instant).getUTCDate() !== digest.date) continue; // 29 February elsewhere
    if (Number.isNaN(best) || Math.abs(instant - now) < Math.abs(best - now)) best = instant;
  }
  return best;
}

/**
 * The first minute at or after `from` at which `fires` is true, looking at most `withinDays`
 * ahead; null when there is none (an entry for 29 February, say).
 */
export function nextFiring(
  fires: (instant: number) => boolean,
  from: Date,
  withinDays = 366,
): Date | null {
  const start = Math.ceil(from.getTime() / MINUTE) * MINUTE;
  const end = start + withinDays * DAY;
  for (let instant = start; instant < end; instant += MINUTE) {
    if (fires(instant)) return new Date(instant);
  }
  return null;
}
