import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createClientDb } from "../../src/database/pool.ts";
import { testDb } from "../support/database.ts";

describe("createClientDb", () => {
  it("runs every query on its one client, which stays with the caller", async () => {
    const { pool } = testDb();
    const client = await pool.connect();
    try {
      await client.query("set application_name = 'client-db-test'");
      const db = createClientDb(pool, client);
      const pids = new Set<number>();
      for (let index = 0; index < 3; index++) {
        const { rows } = await sql<{ pid: number; name: string }>`
          select pg_backend_pid() as pid, current_setting('application_name') as name`.execute(db);
        expect(rows[0]?.name).toBe("client-db-test");
        pids.add(rows[0]?.pid as number);
      }
      const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      expect([...pids]).toEqual([rows[0]?.pid]);
    } finally {
      client.release(true);
    }
  });
});
