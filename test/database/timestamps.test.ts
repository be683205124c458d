import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { isoMicros, isoMillis, utcText } from "../../src/database/timestamps.ts";
import { db } from "../support/engine.ts";

describe("timestamps read as UTC text", () => {
  it("reshapes Postgres' text into ISO 8601, whatever the fraction and the session time zone", async () => {
    const written = [
      "2026-11-22T13:45:01.123456Z",
      "2026-11-22T13:45:01.120000Z",
      "2026-11-22T13:45:01.000000Z",
      "2026-11-22T13:45:01.999999Z",
      "1999-12-31T23:59:59.000001Z",
    ];
    const read = await db()
      .connection()
      .execute(async (connection) => {
        await sql`set time zone 'America/New_York'`.execute(connection);
        const { rows } = await sql<{ text: string }>`
          select ${utcText("at")} as text
          from unnest(${written}::timestamptz[]) with ordinality as t(at, n) order by n`.execute(
          connection,
        );
        await sql`reset time zone`.execute(connection);
        return rows.map((row) => row.text);
      });
    expect(read.map((text) => isoMicros(text))).toEqual(written);
    expect(read.map((text) => isoMillis(text))).toEqual(
      written.map((at) => new Date(at).toISOString()),
    );
    expect(isoMillis(null)).toBeNull();
  });

  it("refuses text it does not recognise instead of guessing", () => {
    expect(() => isoMillis("22/11/2026 13:45:01")).toThrow(/unexpected timestamp text/);
    expect(() => isoMicros("2026-11-22T13:45:01Z")).toThrow(/unexpected timestamp text/);
  });
});
