/**
 * Alerts, newest first (by `started_at`, then id), keyset-paged: the read behind
 * `GET /api/alerts/`, the `alerts` command and the monitor.
 */
import type { Cursor } from "../database/keysetCursor.ts";
import { afterCursor, cursorKey, keysetPage } from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type { AlertStatusFilter } from "./alertStatus.ts";

export interface AlertListQuery {
  status: AlertStatusFilter;
  limit: number;
  after?: Cursor;
}

export async function alertList(db: Db, query: AlertListQuery) {
  let select = db
    .selectFrom("alerts")
    .selectAll()
    .select(cursorKey("started_at").as("started_at_key"))
    .orderBy("started_at", "desc")
    .orderBy("id", "desc")
    .limit(query.limit + 1);
  if (query.status === "open") select = select.where("resolved_at", "is", null);
  if (query.status === "resolved") select = select.where("resolved_at", "is not", null);
  if (query.after) select = select.where(afterCursor("started_at", query.after));
  const { rows, next } = keysetPage(
    await select.execute(),
    query.limit,
    (row) => row.started_at_key,
  );
  return { alerts: rows, next };
}
