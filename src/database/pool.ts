import { Kysely, PostgresDialect, type PostgresPoolClient } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";
import { typeParsers } from "./typeParsers.ts";

export type Pool = pg.Pool;
export type Db = Kysely<Database>;

/**
 * `settings` are session settings for every connection, e.g. `{ synchronous_commit: "off" }`
 * for a pool whose writes may be lost in a crash without harm.
 */
export function createPool(
  connectionString: string,
  max = 10,
  settings: Record<string, string> = {},
): Pool {
  const options = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(" ");
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: "switchboard",
    types: typeParsers,
    ...(options ? { options } : {}),
  });
  // A client that loses its connection must not crash the process: the pool replaces idle ones,
  // and the query in flight on a busy one fails with the error.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Kysely over connections `connect` hands out; destroying it ends nothing of the pool's. */
function kyselyOver(pool: Pool, connect: () => Promise<PostgresPoolClient>): Db {
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: { connect, end: async () => {}, options: pool.options } }),
  });
}

/** A Kysely handle over an existing pool; destroying it does not end the pool. */
export function createDb(pool: Pool): Db {
  return kyselyOver(pool, () => pool.connect());
}

/**
 * A Kysely handle whose every query runs on `client` (from `pool`), for statements that need
 * one session (its settings); the caller keeps the client and releases it.
 */
export function createClientDb(pool: Pool, client: pg.PoolClient): Db {
  const held = { query: client.query.bind(client), release: () => {} };
  return kyselyOver(pool, async () => held);
}

/** Hides the password of a connection URL, for logs. */
export function describeDatabaseUrl(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.password) url.password = "****";
  return url.toString();
}
