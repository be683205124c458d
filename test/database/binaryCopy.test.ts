import { finished } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import { beforeAll, describe, expect, it } from "vitest";
import { BinaryCopyWriter } from "../../src/database/binaryCopy.ts";
import { createTestPool } from "../support/database.ts";

const pool = createTestPool(2);

beforeAll(async () => {
  await pool.query(`create table copied (
    small smallint, whole integer, big bigint, said text, at timestamptz, ref uuid)`);
});

async function copy(writer: BinaryCopyWriter): Promise<void> {
  const client = await pool.connect();
  try {
    const stream = client.query(copyFrom("copy copied from stdin (format binary)"));
    for (const chunk of writer.take()) stream.write(chunk);
    stream.end();
    await finished(stream);
  } finally {
    client.release();
  }
}

describe("BinaryCopyWriter", () => {
  it("writes each type as PostgreSQL reads it back, nulls included", async () => {
    const rows = new BinaryCopyWriter();
    rows.row(6);
    rows.int2(-7);
    rows.int4(-2_000_000_000);
    rows.int8(2 ** 53 - 1);
    rows.text("Zoë's call — ☎");
    rows.timestamptz(Date.parse("2026-03-29T01:30:00Z") / 1000);
    rows.uuid(Buffer.from("0123456789abcdef", "hex"), 255);
    rows.row(6);
    rows.null();
    rows.null();
    rows.int8(-5);
    rows.text("");
    rows.timestamptz(Date.parse("1999-12-31T23:59:59Z") / 1000);
    rows.null();
    rows.end();
    await copy(rows);

    const { rows: read } = await pool.query<Record<string, string | null>>(
      `select small::text, whole::text, big::text, said, at::text, ref::text from copied
       order by small nulls last`,
    );
    expect(read).toEqual([
      {
        small: "-7",
        whole: "-2000000000",
        big: "9007199254740991",
        said: "Zoë's call — ☎",
        at: "2026-03-29 01:30:00+00",
        ref: "01234567-89ab-cdef-0000-0000000000ff",
      },
      {
        small: null,
        whole: null,
        big: "-5",
        said: "",
        at: "1999-12-31 23:59:59+00",
        ref: null,
      },
    ]);
    await pool.query("truncate copied");
  });

  it("splits many rows over several buffers, and a long text grows its buffer", async () => {
    const rows = new BinaryCopyWriter(8192);
    const long = "x".repeat(20_000);
    for (let index = 0; index < 5000; index++) {
      rows.row(6);
      rows.int2(index % 100);
      rows.int4(index);
      rows.int8(index * 1_000_000_007);
      rows.text(index === 4321 ? long : `row ${index}`);
      rows.timestamptz(1_700_000_000 + index);
      rows.null();
    }
    rows.end();
    await copy(rows);
    const { rows: read } = await pool.query<{ n: number; longest: number; total: string }>(
      `select count(*)::int as n, max(length(said))::int as longest,
              sum(big)::text as total from copied`,
    );
    expect(read[0]).toEqual({
      n: 5000,
      longest: 20_000,
      total: String((1_000_000_007n * 4999n * 5000n) / 2n),
    });
  });
});
