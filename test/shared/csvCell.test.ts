import fc from "fast-check";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { csvCell, csvCellSql, startsLikeFormula } from "../../src/shared/csvCell.ts";
import { db } from "../support/engine.ts";

const tricky = [
  "=1+2",
  '=HYPERLINK("http://x")',
  "+15551234567",
  "-2+3",
  "@SUM(A1)",
  "\t=1",
  "\r=1",
  "plain",
  "",
  "'already quoted",
  " =not first",
  "Ünïcödé",
];

/** `csvCellSql`'s answer for each text, computed by PostgreSQL. */
async function inSql(values: string[]): Promise<(string | null)[]> {
  const { rows } = await sql<{ cell: string | null }>`
    select ${csvCellSql(sql`v`)} as cell
    from unnest(${values}::text[]) with ordinality as t(v, n) order by n`.execute(db());
  return rows.map((row) => row.cell);
}

describe("csvCell", () => {
  it("prefixes a quote to text a spreadsheet would run as a formula, and nothing else", () => {
    expect(tricky.map(csvCell)).toEqual([
      "'=1+2",
      `'=HYPERLINK("http://x")`,
      "'+15551234567",
      "'-2+3",
      "'@SUM(A1)",
      "'\t=1",
      "'\r=1",
      "plain",
      "",
      "'already quoted",
      " =not first",
      "Ünïcödé",
    ]);
  });

  it("writes numbers as numbers, negative ones included, and null as an empty cell", () => {
    expect([csvCell(-3), csvCell(42), csvCell(null), csvCell(undefined), csvCell(true)]).toEqual([
      "-3",
      "42",
      "",
      "",
      "true",
    ]);
  });

  it("says the same in SQL as in JavaScript, for any text", async () => {
    expect(await inSql(tricky)).toEqual(tricky.map(csvCell));
    const texts = fc
      .sample(
        fc.oneof(
          fc.string(),
          fc
            .constantFrom("=", "+", "-", "@", "\t", "\r")
            .chain((first) => fc.string().map((rest) => first + rest)),
        ),
        300,
      )
      .map((text) => text.replaceAll("\u0000", ""));
    expect(await inSql(texts)).toEqual(texts.map(csvCell));
    expect(texts.some(startsLikeFormula)).toBe(true);
  });

  it("keeps null null in SQL", async () => {
    const { rows } = await sql<{
      cell: string | null;
    }>`select ${csvCellSql(sql`null::text`)} as cell`.execute(db());
    expect(rows[0]?.cell).toBeNull();
  });
});
