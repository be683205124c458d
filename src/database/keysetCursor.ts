/**
 * Keyset pagination: opaque cursors, the (timestamp, id) of the last row of a page, as base64url
 * JSON, and the page a query's rows make. The timestamp is kept as Postgres holds it —
 * microseconds, UTC — because a JS Date keeps only milliseconds and paging on it would skip or
 * repeat rows.
 */
import { type RawBuilder, sql } from "kysely";
import { isStorableInstant } from "./storableTimestamp.ts";
import { isoMicros, utcText } from "./timestamps.ts";

export interface Cursor {
  /** ISO 8601 with six decimals, UTC: `2026-11-22T13:45:01.123456Z`. */
  at: string;
  id: number;
}

const AT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Selects a timestamp column as a row's cursor key, e.g. `cursorKey("created_at").as("cursor_at")`:
 * its UTC text, which `isoMicros` turns into a cursor's `at`.
 */
export function cursorKey(column: string): RawBuilder<string> {
  return utcText(column);
}

/** Rows strictly after the cursor in (column desc, id desc) order. */
export function afterCursor(column: string, cursor: Cursor): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(column)}, id) < (${cursor.at}::timestamptz, ${cursor.id})`;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString("base64url");
}

export function decodeCursor(value: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [at, id] = decoded as [unknown, unknown];
    if (typeof at !== "string" || !isCalendarInstant(at)) return undefined;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) return undefined;
    return { at, id };
  } catch {
    return undefined;
  }
}

/**
 * Whether `at` has the cursor's shape and names a real instant in the storable range. Date.parse
 * rolls an impossible date over (`2026-02-30` is March 2nd) where PostgreSQL refuses it, so the
 * date must come back unchanged from a Date.
 */
function isCalendarInstant(at: string): boolean {
  if (!AT_KEY.test(at)) return false;
  const epochMs = Date.parse(at);
  return (
    isStorableInstant(epochMs) && new Date(epochMs).toISOString().slice(0, 23) === at.slice(0, 23)
  );
}

export interface KeysetPage<Row> {
  rows: Row[];
  /** The key of the page's last row, to pass as `after` for the following page; null on the last page. */
  next: Cursor | null;
}

/**
 * A page from the rows of a query limited to `limit + 1`: the extra row only says that another
 * page follows. `cursorAt` is the row's `cursorKey` column.
 */
export function keysetPage<Row extends { id: number }>(
  rows: Row[],
  limit: number,
  cursorAt: (row: Row) => string,
): KeysetPage<Row> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    rows: shown,
    next: rows.length > limit && last ? { at: isoMicros(cursorAt(last)), id: last.id } : null,
  };
}
