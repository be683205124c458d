import { describe, expect, it } from "vitest";
import { deferSecondaryIndexes, rebuildIndexes } from "../../src/database/deferredIndexes.ts";
import { createTestPool } from "../support/database.ts";

const pool = createTestPool(2);

async function indexes(table: string): Promise<string[]> {
  const { rows } = await pool.query<{ definition: string }>(
    `select indexdef as definition from pg_indexes where tablename = $1 order by indexname`,
    [table],
  );
  return rows.map((row) => row.definition);
}

async function constraints(table: string): Promise<string[]> {
  const { rows } = await pool.query<{ definition: string }>(
    `select conname || ' ' || pg_get_constraintdef(oid) as definition from pg_constraint
     where conrelid = $1::regclass order by conname`,
    [table],
  );
  return rows.map((row) => row.definition);
}

describe("deferred secondary indexes", () => {
  it("drops every secondary index and unique constraint of calls and builds the same again", async () => {
    const before = { indexes: await indexes("calls"), constraints: await constraints("calls") };
    const client = await pool.connect();
    try {
      await client.query("begin");
      const deferred = await deferSecondaryIndexes(client, "calls", 1000);
      expect(deferred.map((index) => index.name).sort()).toEqual([
        "calls_agent_time",
        "calls_campaign_status",
        "calls_created_at",
        "calls_intent_key_key",
        "calls_public_id_key",
        "calls_report_time",
        "calls_report_time_id",
        "calls_sid_key",
        "calls_status_updated_at",
      ]);
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from pg_indexes where tablename = 'calls'",
      );
      expect(rows[0]?.n).toBe(1);
      const seconds = await rebuildIndexes(client, deferred);
      expect(Object.keys(seconds).sort()).toEqual(deferred.map((index) => index.name).sort());
      await client.query("commit");
    } finally {
      client.release();
    }
    expect({ indexes: await indexes("calls"), constraints: await constraints("calls") }).toEqual(
      before,
    );
  });

  it("leaves the indexes of a table that already holds more rows than the load brings", async () => {
    await pool.query(
      `insert into agents (name) select 'Agent ' || n from generate_series(1, 50) n`,
    );
    await pool.query("analyze agents");
    const before = await indexes("agents");
    const client = await pool.connect();
    try {
      await client.query("begin");
      expect(await deferSecondaryIndexes(client, "agents", 10)).toEqual([]);
      expect((await deferSecondaryIndexes(client, "agents", 50)).length).toBe(1);
      await client.query("rollback");
    } finally {
      client.release();
    }
    expect(await indexes("agents")).toEqual(before);
  });
});
