/**
 * Writes exported calls as text, chunk by chunk, so a file is never held whole in memory.
 *
 * - CSV: RFC 4180 by csv-stringify (CRLF line ends, a header row, fields quoted when they hold a
 *   comma, a quote or a line break), UTF-8 without a byte order mark; each cell's text is
 *   `csvCell`'s, which escapes what a spreadsheet would run as a formula.
 * - JSON: one array of objects, keys in column order, numbers as numbers, missing values null.
 */
import { stringify } from "csv-stringify/sync";
import type { ExportFormat } from "../database/schema.ts";
import { isoMicros } from "../database/timestamps.ts";
import { csvCell } from "../shared/csvCell.ts";
import type { CallRow } from "./callRows.ts";
import { exportColumnNames } from "./exportColumns.ts";

export interface RowEncoder {
  /** Media type of the file. */
  readonly contentType: string;
  /** Written before the first chunk. */
  head(): string;
  /** One chunk of rows; `first` for the first chunk of the file. */
  chunk(rows: CallRow[], first: boolean): string;
  /** Written after the last chunk. */
  tail(): string;
}

const timeColumns = new Set([
  "report_time",
  "created_at",
  "enqueued_at",
  "answered_at",
  "ended_at",
]);
const columns = exportColumnNames as readonly (keyof CallRow)[];

/** A row's values in column order, times as ISO 8601 UTC with microseconds. */
function valuesOf(row: CallRow): (string | number | null)[] {
  const values: (string | number | null)[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i] as keyof CallRow;
    const value = row[name];
    values[i] = value !== null && timeColumns.has(name) ? isoMicros(value as string) : value;
  }
  return values;
}

const csvOptions = { record_delimiter: "windows" as const };

const csvEncoder: RowEncoder = {
  contentType: "text/csv; charset=utf-8",
  head: () => stringify([columns as string[]], csvOptions),
  chunk: (rows) =>
    stringify(
      rows.map((row) => valuesOf(row).map(csvCell)),
      csvOptions,
    ),
  tail: () => "",
};

const jsonEncoder: RowEncoder = {
  contentType: "application/json",
  head: () => "[",
  chunk(rows, first) {
    let text = "";
    for (let r = 0; r < rows.length; r++) {
      const values = valuesOf(rows[r] as CallRow);
      const object: Record<string, string | number | null> = {};
      for (let i = 0; i < columns.length; i++) object[columns[i] as string] = values[i] ?? null;
      text += (first && r === 0 ? "\n" : ",\n") + JSON.stringify(object);
    }
    return text;
  },
  tail: () => "\n]\n",
};

export function rowEncoder(format: ExportFormat): RowEncoder {
  return format === "csv" ? csvEncoder : jsonEncoder;
}

/** The file name extension of a format. */
export const extensionOf = (format: ExportFormat): string => format;
