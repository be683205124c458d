import { text } from "node:stream/consumers";
import { CompiledQuery, sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  copyCsvText,
  copyLinesText,
  copyOut,
  copyOutOn,
  inlineParameters,
} from "../../src/database/copyOut.ts";
import { testDb } from "../support/database.ts";

describe("copyOut", () => {
  it("writes parameters into the text as literals PostgreSQL reads back unchanged", async () => {
    const values = ["it's", "back\\slash", "$1 and $2", "Ünï", 'quote "q"'];
    const query =
      sql`select ${values[0]}::text as a, ${values[1]}::text as b, ${values[2]}::text as c,
      ${values[3]}::text as d, ${values[4]}::text as e, ${42} as n, ${new Date("2026-01-02T03:04:05.678Z")}::timestamptz as t,
      ${null}::text as z`.compile(testDb().db);
    const { rows } = await testDb().pool.query(inlineParameters(query));
    expect(rows[0]).toMatchObject({
      a: values[0],
      b: values[1],
      c: values[2],
      d: values[3],
      e: values[4],
      n: 42,
      z: null,
    });
    expect(rows[0].t.toISOString()).toBe("2026-01-02T03:04:05.678Z");
    expect(() => inlineParameters(CompiledQuery.raw("select $1", [Number.NaN]))).toThrow(
      RangeError,
    );
    expect(() => inlineParameters(CompiledQuery.raw("select $1", [{}]))).toThrow(TypeError);
  });

  it("streams COPY's CSV and counts its rows, and gives the connection back", async () => {
    const { pool, db } = testDb();
    const query = sql`select n, 'a,"b"' as s from generate_series(1, ${3}) as n`.compile(db);
    const stream = await copyOut(pool, copyCsvText(query, { header: true }));
    expect(await text(stream)).toBe('n,s\n1,"a,""b"""\n2,"a,""b"""\n3,"a,""b"""\n');
    expect(await stream.completed).toBe(3);
    expect(pool.idleCount).toBeGreaterThan(0);
  });

  it("runs COPY after COPY on one client, each counting its own rows", async () => {
    const { pool, db } = testDb();
    const client = await pool.connect();
    try {
      for (const rows of [5, 0, 2_000]) {
        const query = sql`select n from generate_series(1, ${rows}) as n`.compile(db);
        const stream = copyOutOn(client, copyCsvText(query, { header: false }));
        const lines = (await text(stream)).split("\n").filter(Boolean);
        expect(lines).toHaveLength(rows);
        expect(await stream.completed).toBe(rows);
      }
    } finally {
      client.release();
    }
  });

  it("writes text lines unquoted", async () => {
    const { pool, db } = testDb();
    const query = sql`select json_build_object('s', ${'say "hi",\n\tok'}::text)::text`.compile(db);
    const lines = await text(await copyOut(pool, copyLinesText(query)));
    expect(JSON.parse(lines)).toEqual({ s: 'say "hi",\n\tok' });
  });

  it("discards a connection whose COPY was abandoned part-way", async () => {
    const { pool, db } = testDb();
    const query = sql`select repeat('x', 1000) from generate_series(1, 100000)`.compile(db);
    const stream = await copyOut(pool, copyCsvText(query, { header: false }));
    const total = pool.totalCount;
    await new Promise<void>((resolve) => stream.once("data", () => resolve()));
    stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pool.totalCount).toBe(total - 1);
    const { rows } = await pool.query("select 1 as one");
    expect(rows[0].one).toBe(1);
  });
});
