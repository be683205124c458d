/**
 * Timestamps read as text. A page of executions holds hundreds of timestamps. Reading each as a
 * Date (parsed from Postgres' text) and writing it back as ISO text is slow in the API, and
 * `to_char` is slow in Postgres (about 2.5 µs a row for a summary's six, against 1 µs for their
 * plain text output). So a timestamp is selected as its UTC text (`utcText`),
 * `2026-11-22 13:45:01.1234`, and reshaped here by string slicing: the work leaves the database,
 * which every worker and API process shares, for the API process, of which there can be many.
 * Postgres writes that text in the ISO date style, the one node-postgres itself requires.
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "./schema.ts";

/** Selects a timestamptz column as its UTC wall-clock text, e.g. `2026-11-22 13:45:01.1234`. */
export function utcText<T extends string | null = string>(column: string): RawBuilder<T> {
  return sql<T>`(${sql.ref(column)} at time zone 'UTC')::text`;
}

/**
 * `YYYY-MM-DD HH:MM:SS`, then `.` and 1–6 digits unless the fraction is zero. Checked by shape
 * (length, separators) rather than by a regular expression: this runs for every timestamp of
 * every page.
 */
function reshape(text: string, digits: 3 | 6): string {
  const length = text.length;
  const fractionShown = length >= 21 && length <= 26 && text.charCodeAt(19) === 46; // "."
  if ((length !== 19 && !fractionShown) || text.charCodeAt(10) !== 32 || text.charCodeAt(4) !== 45)
    throw new Error(`unexpected timestamp text from Postgres: ${text}`);
  const fraction = fractionShown
    ? text.slice(20, 20 + digits).padEnd(digits, "0")
    : "0".repeat(digits);
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction}Z`;
}

/** UTC text as `Date.toISOString()` writes it: milliseconds, truncated. */
export function isoMillis(text: string): string;
export function isoMillis(text: string | null): string | null;
export function isoMillis(text: string | null): string | null {
  return text === null ? null : reshape(text, 3);
}

/** UTC text as ISO 8601 with microseconds, every digit Postgres holds. */
export function isoMicros(text: string): string {
  return reshape(text, 6);
}

/** The database's clock (`now()`: the start of the current transaction), as a Date. */
export async function databaseNow(db: Kysely<Database>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
  return rows[0]?.now as Date;
}
