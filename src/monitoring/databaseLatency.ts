import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

/** The time of one `select 1` round trip, in milliseconds to a tenth; throws when the database does not answer. */
export async function databaseRoundTripMs(db: Db): Promise<number> {
  const started = performance.now();
  await sql`select 1`.execute(db);
  return Math.round((performance.now() - started) * 10) / 10;
}
