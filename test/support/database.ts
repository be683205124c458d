/** Handles on the current test file's database. Every pool made here is ended after the file. */
import type { Transaction } from "kysely";
import { inject } from "vitest";
import { createDb, createPool, type Db, type Pool } from "../../src/database/pool.ts";
import type { Database } from "../../src/database/schema.ts";
import { createDatabase, dropDatabase, uniqueDatabaseName } from "./databases.ts";

let url: string | undefined;
const openPools: Pool[] = [];
const blankDatabases: string[] = [];
let shared: { pool: Pool; db: Db } | undefined;

export function setTestDatabaseUrl(value: string) {
  url = value;
}

/** The URL of this test file's own migrated database. */
export function testDatabaseUrl(): string {
  if (!url) throw new Error("the per-file test database is not set up (see vitest.config.ts)");
  return url;
}

export function createTestPool(max = 10, connectionString = testDatabaseUrl()): Pool {
  const pool = createPool(connectionString, max);
  openPools.push(pool);
  return pool;
}

/** A pool and Kysely handle shared by the tests of one file. */
export function testDb(): { pool: Pool; db: Db } {
  if (!shared) {
    const pool = createTestPool();
    shared = { pool, db: createDb(pool) };
  }
  return shared;
}

class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back. */
export async function withRollback(fn: (trx: Transaction<Database>) => Promise<void>) {
  await testDb()
    .db.transaction()
    .execute(async (trx) => {
      await fn(trx);
      throw new Rollback();
    })
    .catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
}

/** A new empty database (no migrations applied), dropped after the file. */
export async function createBlankDatabase(): Promise<string> {
  const name = uniqueDatabaseName("switchboard_blank");
  blankDatabases.push(name);
  return createDatabase(inject("postgresAdminUrl"), name);
}

export async function closeTestHandles() {
  shared = undefined;
  await Promise.all(openPools.splice(0).map((pool) => pool.end()));
  const adminUrl = inject("postgresAdminUrl");
  await Promise.all(blankDatabases.splice(0).map((name) => dropDatabase(adminUrl, name)));
}
