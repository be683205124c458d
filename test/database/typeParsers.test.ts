import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseTimestamptz } from "../../src/database/typeParsers.ts";
import { testDb } from "../support/database.ts";

const driverTimestamptz: (text: string) => Date | number | null = pg.types.getTypeParser(
  pg.types.builtins.TIMESTAMPTZ,
);

/** Whole timestamps, with and without fractions, across the range a ledger holds and beyond. */
const TIMESTAMPS = `
  select t::text as text from unnest(array[
    '2026-11-23 01:27:45.123456+00', '2026-11-23 01:27:45+00', '2026-11-23 01:27:45.5+00',
    '2026-11-23 01:27:45.000001+00', '2026-11-23 01:27:45.999999+00', '2024-02-29 23:59:59.9+00',
    '1970-01-01 00:00:00+00', '1969-12-31 23:59:59.999+00', '0101-06-01 12:00:00+00',
    '9999-12-31 23:59:59.999999+00', '2000-03-26 01:30:00+00'
  ]::timestamptz[]) as t
  union all
  select (timestamptz '2020-01-01 00:00:00+00'
          + g * interval '1 day 3 hours 7 minutes 11.123457 seconds')::text
  from generate_series(0, 2000) as g`;

async function serverText(timeZone: string, query: string): Promise<string[]> {
  const client = await testDb().pool.connect();
  try {
    await client.query(`set time zone '${timeZone}'`);
    const { rows } = await client.query<{ text: string }>(query);
    return rows.map((row) => row.text);
  } finally {
    await client.query("reset time zone");
    client.release();
  }
}

describe("timestamptz parser", () => {
  it.each([
    "UTC",
    "Asia/Kolkata", // +05:30
    "America/St_Johns", // -03:30 and -02:30
    "America/Los_Angeles", // -08 and -07
    "Pacific/Kiritimati", // +14
  ])("reads what the server writes in time zone %s as the driver does", async (timeZone) => {
    const texts = await serverText(timeZone, TIMESTAMPS);
    expect(texts.length).toBeGreaterThan(2000);
    for (const text of texts) {
      expect([text, parseTimestamptz(text).getTime()]).toEqual([
        text,
        (driverTimestamptz(text) as Date).getTime(),
      ]);
    }
  });

  it("leaves every other form to the driver: BC, infinity, early years, offsets with seconds", async () => {
    const texts = [
      ...(await serverText(
        "UTC",
        `select t::text as text from unnest(array[
           '0044-03-15 12:00:00+00', '0001-01-01 00:00:00+00', '0500-01-01 00:00:00+00 BC',
           'infinity', '-infinity', '12026-01-01 00:00:00+00'
         ]::timestamptz[]) as t`,
      )),
      // Local mean time: New York was 4 hours 56 minutes 2 seconds behind UTC until 1883.
      ...(await serverText(
        "America/New_York",
        "select '1880-01-01 00:00:00+00'::timestamptz::text as text",
      )),
    ];
    expect(texts).toContain("1879-12-31 19:03:58-04:56:02");
    for (const text of texts) {
      expect([text, parseTimestamptz(text)]).toEqual([text, driverTimestamptz(text)]);
    }
  });

  it("is what Switchboard's pools use for timestamptz and int8", async () => {
    const { rows } = await testDb().pool.query<{ at: Date; n: number }>(
      "select timestamptz '2026-11-23 01:27:45.123456+00' as at, 9007199254740991::int8 as n",
    );
    expect(rows[0]?.at).toBeInstanceOf(Date);
    expect(rows[0]?.at.toISOString()).toBe("2026-11-23T01:27:45.123Z");
    expect(rows[0]?.n).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("does not change how other pg clients of the process parse values", async () => {
    const client = new pg.Client({ connectionString: testDb().pool.options.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query("select 42::int8 as n");
      expect(rows[0].n).toBe("42");
    } finally {
      await client.end();
    }
  });
});
