/**
 * Timestamps every layer holds alike: ISO 8601 date-times from 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999Z (UTC). PostgreSQL's timestamptz (4713 BC to 294276 AD) and a JS Date
 * (±275,760 years) both hold more, but outside this range they stop agreeing on the text:
 * PostgreSQL has no year 0 (`0000-01-01` is refused, 1 BC is written `0001-12-31 BC`), a Date
 * writes years past 9999 as `+010000`, and the API's reading of PostgreSQL's text
 * (timestamps.ts) knows four-digit years only. The range is of the instant, in UTC:
 * `9999-12-31T23:59:59-14:00` is in the year 10000 and refused.
 */
import { z } from "zod";

export const EARLIEST_TIMESTAMP_MS = Date.parse("0001-01-01T00:00:00.000Z");
export const LATEST_TIMESTAMP_MS = Date.parse("9999-12-31T23:59:59.999Z");

/** Whether the instant `epochMs` is in the range every layer holds. */
export function isStorableInstant(epochMs: number): boolean {
  return epochMs >= EARLIEST_TIMESTAMP_MS && epochMs <= LATEST_TIMESTAMP_MS;
}

/**
 * An ISO 8601 date-time with its offset (`Z` or `±hh:mm`), a real calendar date, in the range
 * above; its errors name `field`. The value stays the text given. A failed check stops the
 * ones after it (e.g. a caller's "in the future"), so the field is named once.
 *
 * @example
 * z.object({ run_at: isoTimestamp("run_at").optional() })
 */
export function isoTimestamp(field: string) {
  return z.iso
    .datetime({
      offset: true,
      error: `${field} must be an ISO 8601 date-time with its offset, e.g. 2030-01-01T09:00:00Z`,
      abort: true,
    })
    .refine((value) => isStorableInstant(Date.parse(value)), {
      message: `${field} must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z`,
      abort: true,
    });
}
