/**
 * How long an API token may live: a whole number of seconds, minutes, hours or days, written
 * `3600s`, `90m`, `12h` or `30d`, up to 100 years.
 *
 * @example
 * parseTokenLifetime("30d") // 2592000 (seconds)
 */
import { z } from "zod";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const MAX_SECONDS = 36_500 * 86_400;

export const tokenLifetimeSecondsSchema = z
  .number()
  .int({ error: "a token's lifetime must be a whole number of seconds" })
  .min(1, { error: "a token's lifetime must be at least 1 second" })
  .max(MAX_SECONDS, { error: "a token's lifetime must be at most 36500 days" });

/** Seconds in `value` ("30d"); throws a `RangeError` saying what is expected. */
export function parseTokenLifetime(value: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(value.trim());
  const seconds = match
    ? Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number)
    : Number.NaN;
  if (!tokenLifetimeSecondsSchema.safeParse(seconds).success) {
    throw new RangeError(
      `expected a duration above 0 and up to 36500d, such as 3600s, 90m, 12h or 30d`,
    );
  }
  return seconds;
}
