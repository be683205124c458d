/**
 * The local wall-clock time of an instant in an IANA time zone, written as milliseconds of a
 * UTC-based clock: `new Date(wallClockOf(t, "Europe/Berlin")).getUTCHours()` is the hour in Berlin.
 *
 * A zone's offset is looked up once per quarter hour and checked at both ends of it: every zone
 * in use today changes its offset on a quarter hour, so within one quarter that agrees at both
 * ends the offset is constant, and a quarter holding a change is looked up per instant. Scanning
 * a month of minutes (a schedule's next run) then costs ~3,000 lookups instead of ~45,000.
 */

const QUARTER_HOUR = 900_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** The zone's offset from UTC at `instant`, in ms, from the runtime's time zone data. */
function exactOffset(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/** Per zone: quarter-hour index → its offset, or null when the offset changes within it. */
const quarterOffsets = new Map<string, Map<number, number | null>>();

/** The offset from UTC (ms, east positive) in `timeZone` at `instant` (ms since the epoch). */
export function utcOffsetAt(instant: number, timeZone: string): number {
  let zone = quarterOffsets.get(timeZone);
  if (!zone) {
    zone = new Map();
    quarterOffsets.set(timeZone, zone);
  }
  const quarter = Math.floor(instant / QUARTER_HOUR);
  let offset = zone.get(quarter);
  if (offset === undefined) {
    const start = quarter * QUARTER_HOUR;
    const first = exactOffset(start, timeZone);
    offset = exactOffset(start + QUARTER_HOUR - 1000, timeZone) === first ? first : null;
    if (zone.size >= 100_000) zone.clear();
    zone.set(quarter, offset);
  }
  return offset ?? exactOffset(instant, timeZone);
}

/** The wall-clock time of `instant` in `timeZone`, as ms of a UTC-based clock. */
export function wallClockOf(instant: number, timeZone: string): number {
  return instant + utcOffsetAt(instant, timeZone);
}

/** `instant` as ISO 8601 local time with its offset, e.g. `2026-03-08T03:00:00-04:00`. */
export function localIsoString(instant: Date, timeZone: string): string {
  const offset = utcOffsetAt(instant.getTime(), timeZone);
  const wall = new Date(instant.getTime() + offset).toISOString().slice(0, 19);
  const minutes = Math.round(Math.abs(offset) / 60_000);
  const sign = offset < 0 ? "-" : "+";
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `${wall}${sign}${hh}:${mm}`;
}
