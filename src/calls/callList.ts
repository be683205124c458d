/**
 * Calls, newest first, in keyset pages (`created_at`, then id), filtered by direction, outcome
 * and call queue — e.g. the inbound calls the simulated call center places.
 */
import { sql } from "kysely";
import { type Cursor, cursorKey, type KeysetPage, keysetPage } from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type { CallTable } from "../database/schema.ts";
import { type CallRow, callRows } from "./callViews.ts";

export const callDirections = ["inbound", "outbound-api", "outbound-dial"] as const;
export const callOutcomes = [
  "completed",
  "abandoned",
  "busy",
  "no-answer",
  "failed",
  "voicemail",
] as const;

export interface CallListFilters {
  limit: number;
  after?: Cursor;
  direction?: CallTable["direction"];
  outcome?: (typeof callOutcomes)[number];
  /** A call queue's name. */
  callQueue?: string;
}

export async function callList(db: Db, filters: CallListFilters): Promise<KeysetPage<CallRow>> {
  let query = callRows(db).select(cursorKey("calls.created_at").as("cursor_at"));
  if (filters.direction) query = query.where("calls.direction", "=", filters.direction);
  if (filters.outcome) query = query.where("calls.outcome", "=", filters.outcome);
  if (filters.callQueue) query = query.where("call_queues.name", "=", filters.callQueue);
  const after = filters.after;
  if (after) {
    query = query.where(
      sql<boolean>`(calls.created_at, calls.id) < (${after.at}::timestamptz, ${after.id})`,
    );
  }
  const rows = await query
    .orderBy("calls.created_at", "desc")
    .orderBy("calls.id", "desc")
    .limit(filters.limit + 1)
    .execute();
  return keysetPage(rows, filters.limit, (row) => row.cursor_at);
}
