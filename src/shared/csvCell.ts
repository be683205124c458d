import { type RawBuilder, sql } from "kysely";

/**
 * One CSV cell of a file a person may open in a spreadsheet (exports, reports). A text value
 * that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets
 * skip before reading one of those) would be run as a formula: it is written with a single quote
 * in front, which spreadsheets show as text and hide (OWASP's CSV injection advice). That
 * includes E.164 phone numbers (`'+15551234567`), which a spreadsheet would otherwise turn into
 * a number. Numbers are written as numbers, and null as an empty cell.
 *
 * Quoting (RFC 4180) is csv-stringify's, or PostgreSQL's when it writes the CSV itself (`COPY`);
 * this only decides the text of the cell. `csvCellSql` is the same rule in SQL, for `COPY`.
 *
 * @example
 * csvCell("=HYPERLINK(\"http://x\")") // "'=HYPERLINK(\"http://x\")"
 * csvCell(-3) // "-3"
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "string") return String(value);
  return startsLikeFormula(value) ? `'${value}` : value;
}

const EQUALS = 61;
const PLUS = 43;
const MINUS = 45;
const AT = 64;
const TAB = 9;
const CARRIAGE_RETURN = 13;

/** Whether a spreadsheet would read `text` as a formula. */
export function startsLikeFormula(text: string): boolean {
  const first = text.charCodeAt(0);
  return (
    first === EQUALS ||
    first === PLUS ||
    first === MINUS ||
    first === AT ||
    first === TAB ||
    first === CARRIAGE_RETURN
  );
}

const formulaStarts = sql.raw([EQUALS, PLUS, MINUS, AT, TAB, CARRIAGE_RETURN].join(", "));

/**
 * `csvCell`'s rule for a text expression in SQL: the cell's text, quote-prefixed if a formula.
 * The first character is compared by its code (`ascii`, 0 for empty text), which costs
 * PostgreSQL less per cell than comparing the text `left(…, 1)`.
 */
export function csvCellSql(value: RawBuilder<unknown>): RawBuilder<string | null> {
  return sql<
    string | null
  >`case when ascii(${value}::text) in (${formulaStarts}) then '''' || ${value}::text else ${value}::text end`;
}
