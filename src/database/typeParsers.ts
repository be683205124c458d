/**
 * How Switchboard's own pools read PostgreSQL values. They are given to each pool (`pg.Pool`'s
 * `types`), not written into the driver's global registry, so an application that also has its
 * own pg clients, and enqueues through them, keeps its own parsing.
 *
 * - int8 comes back as a JS number: counts and ids here stay far below 2^53.
 * - timestamptz is parsed by hand in the form the server writes it
 *   (`2026-11-23 01:27:45.123456+00`), in about a quarter of the driver's time. It matters to
 *   workers: graphile-worker's job fetch returns four of them per job. Any other form (BC dates, infinity, years before
 *   100, offsets with seconds) goes to the driver's parser.
 */
import pg from "pg";

const { INT8, TIMESTAMPTZ } = pg.types.builtins;
const driverTimestamptz: (text: string) => Date = pg.types.getTypeParser(TIMESTAMPTZ);

const parseInt8 = (text: string) => Number.parseInt(text, 10);

const ZERO = 48;
const DASH = 45;
const SPACE = 32;
const DOT = 46;
const PLUS = 43;

const isDigit = (code: number) => code >= ZERO && code <= ZERO + 9;

/** The decimal number in `text` from `start` up to `end`, or -1 if a character is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - ZERO;
  }
  return value;
}

export function parseTimestamptz(text: string): Date {
  // YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM]
  if (text.length < 22 || text.charCodeAt(4) !== DASH || text.charCodeAt(10) !== SPACE) {
    return driverTimestamptz(text);
  }
  let end = 19;
  let milliseconds = 0;
  if (text.charCodeAt(end) === DOT) {
    // Microseconds are cut to milliseconds, as a Date holds them (and as the driver does).
    end++;
    for (let scale = 100; end < text.length && isDigit(text.charCodeAt(end)); end++) {
      milliseconds += (text.charCodeAt(end) - ZERO) * scale;
      scale /= 10;
    }
  }
  const sign = text.charCodeAt(end);
  const offsetLength = text.length - end;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  const hours = digitsAt(text, 11, 13);
  const minutes = digitsAt(text, 14, 16);
  const seconds = digitsAt(text, 17, 19);
  const offsetHours = digitsAt(text, end + 1, end + 3);
  const offsetMinutes = offsetLength === 6 ? digitsAt(text, end + 4, end + 6) : 0;
  const anyNotDigits = (month | day | hours | minutes | seconds | offsetHours | offsetMinutes) < 0;
  if (
    (sign !== PLUS && sign !== DASH) ||
    (offsetLength !== 3 && offsetLength !== 6) ||
    year < 100 ||
    anyNotDigits
  ) {
    return driverTimestamptz(text);
  }
  const offsetMs = (sign === DASH ? -1 : 1) * ((offsetHours * 60 + offsetMinutes) * 60_000);
  const utc = Date.UTC(year, month - 1, day, hours, minutes, seconds, milliseconds);
  return new Date(utc - offsetMs);
}

export const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8) return parseInt8;
    if (oid === TIMESTAMPTZ && format !== "binary") return parseTimestamptz;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};
