/**
 * A CSV cell that a spreadsheet will not run as a formula (OWASP "CSV injection"): text that
 * starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which
 * spreadsheets show as text. Numbers are left alone, so a negative figure stays a number.
 *
 * @example
 * csvCell("=HYPERLINK(\"http://x\")") // "'=HYPERLINK(\"http://x\")"
 * csvCell(-3) // -3
 */
export function csvCell<T>(value: T): T | string {
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(value)) return `'${value}`;
  return value;
}
