/**
 * Pausing a lane is a row in `lane_states`; every worker holds the lane's jobs back (through
 * graphile-worker's forbidden flags: each job carries its lane as a flag) until it is resumed.
 * Workers learn of a change at once through NOTIFY and re-read the table every few seconds.
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import type { LaneName } from "../lanes.ts";

export const LANES_CHANNEL = "switchboard_lanes";

/** Runs in the caller's transaction when given one, so the change commits with its audit row. */
export async function setLanePaused(db: Db, lane: LaneName, paused: boolean, by: string | null) {
  const write = async (trx: Db) => {
    await trx
      .insertInto("lane_states")
      .values({ lane, paused, changed_by: by })
      .onConflict((oc) =>
        oc.column("lane").doUpdateSet({ paused, changed_by: by, changed_at: sql`now()` }),
      )
      .execute();
    await sql`select pg_notify(${LANES_CHANNEL}, ${lane})`.execute(trx);
  };
  await (db.isTransaction ? write(db) : db.transaction().execute(write));
}

export async function laneListPaused(db: Db): Promise<Set<string>> {
  const rows = await db
    .selectFrom("lane_states")
    .select("lane")
    .where("paused", "=", true)
    .execute();
  return new Set(rows.map((row) => row.lane));
}
