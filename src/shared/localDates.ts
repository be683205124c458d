/**
 * Checks of calendar dates (`YYYY-MM-DD`) and IANA time zones that answer yes or no, for zod
 * refinements (settings, payloads, request bodies). Local periods themselves are the
 * analytics' (src/analytics/period.ts).
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
