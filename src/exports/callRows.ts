/**
 * The calls an export holds, read in keyset-paged chunks: in (report time, id) order, each chunk
 * the rows after the last one of the chunk before. Each chunk is one short query of its own, so
 * an export never holds a snapshot (and with it the xmin that keeps the job table from being
 * vacuumed) for longer than one chunk takes: ARCHITECTURE.md, decision 12. Every chunk is one
 * range scan of `calls_report_time_id`.
 *
 * Times are selected as their UTC text (src/database/timestamps.ts): parsing them into Dates to
 * write them out again would cost more than the rest of a row.
 */
import { type ExpressionBuilder, sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { CallTable, Database } from "../database/schema.ts";
import { isoMicros } from "../database/timestamps.ts";
import { directionsOf, type NormalisedExportFilters } from "./filters.ts";

/** One exported call, as the query returns it: times in Postgres' UTC text. */
export interface CallRow {
  id: number;
  call_id: string;
  call_sid: string | null;
  direction: string;
  from_number: string;
  to_number: string;
  status: string;
  outcome: string | null;
  call_queue_id: number | null;
  call_queue: string | null;
  agent_id: number | null;
  agent: string | null;
  campaign_id: string | null;
  campaign: string | null;
  report_time: string;
  created_at: string;
  enqueued_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  wait_seconds: number | null;
  talk_seconds: number | null;
  hold_seconds: number;
  wrap_up_seconds: number | null;
  duration_seconds: number | null;
  queue_result: string | null;
  answered_by: string | null;
  error_code: number | null;
  error_message: string | null;
}

/** Where a chunk starts: after this (report time, id). `at` is ISO with microseconds. */
export interface CallRowKey {
  at: string;
  id: number;
}

type CallsDatabase = Database & { c: CallTable };

const reportTime = sql<Date>`coalesce(c.enqueued_at, c.created_at)`;
const utc = (column: string) => sql<string | null>`(${sql.ref(column)} at time zone 'UTC')::text`;

/** The calls the filters select, before any column is chosen. */
function callsOf(db: Db, filters: NormalisedExportFilters) {
  return db.selectFrom("calls as c").where((eb) => eb.and(conditions(eb, filters)));
}

function conditions(eb: ExpressionBuilder<CallsDatabase, "c">, f: NormalisedExportFilters) {
  const all = [
    eb(reportTime, ">=", new Date(f.start_date)),
    eb(reportTime, "<=", new Date(f.end_date)),
  ];
  if (f.queue_ids) all.push(eb("c.call_queue_id", "in", f.queue_ids));
  if (f.status) all.push(eb("c.status", "in", f.status));
  if (f.agent_ids) all.push(eb("c.agent_id", "in", f.agent_ids));
  if (f.direction) all.push(eb("c.direction", "in", directionsOf(f.direction)));
  if (typeof f.campaign_id === "number") all.push(eb("c.campaign_id", "=", f.campaign_id));
  if (typeof f.campaign_id === "string") {
    all.push(
      eb(
        "c.campaign_id",
        "=",
        eb.selectFrom("campaigns").select("id").where("public_id", "=", f.campaign_id),
      ),
    );
  }
  return all;
}

/**
 * The next `limit` calls after `after` (from the start when null), in (report time, id) order.
 * Run it on the reporting database (`services.reporting.db`).
 */
export function callRowsChunk(
  db: Db,
  filters: NormalisedExportFilters,
  after: CallRowKey | null,
  limit: number,
): Promise<CallRow[]> {
  let query = callsOf(db, filters);
  if (after) {
    query = query.where(
      sql<boolean>`(coalesce(c.enqueued_at, c.created_at), c.id) > (${after.at}::timestamptz, ${after.id})`,
    );
  }
  return query
    .leftJoin("call_queues as q", "q.id", "c.call_queue_id")
    .leftJoin("agents as a", "a.id", "c.agent_id")
    .leftJoin("campaigns as m", "m.id", "c.campaign_id")
    .select([
      "c.id",
      "c.public_id as call_id",
      "c.sid as call_sid",
      "c.direction",
      "c.from_number",
      "c.to_number",
      "c.status",
      "c.outcome",
      "c.call_queue_id",
      "q.name as call_queue",
      "c.agent_id",
      "a.name as agent",
      "m.public_id as campaign_id",
      "m.name as campaign",
      sql<string>`(coalesce(c.enqueued_at, c.created_at) at time zone 'UTC')::text`.as(
        "report_time",
      ),
      utc("c.created_at").as("created_at"),
      utc("c.enqueued_at").as("enqueued_at"),
      utc("c.answered_at").as("answered_at"),
      utc("c.ended_at").as("ended_at"),
      "c.wait_seconds",
      "c.talk_seconds",
      "c.hold_seconds",
      "c.wrap_up_seconds",
      "c.duration_seconds",
      "c.queue_result",
      "c.answered_by",
      "c.error_code",
      "c.error_message",
    ])
    .orderBy(reportTime)
    .orderBy("c.id")
    .limit(limit)
    .execute() as Promise<CallRow[]>;
}

/** The key of `row`, where the chunk after it starts. */
export function callRowKey(row: CallRow): CallRowKey {
  return { at: isoMicros(row.report_time), id: row.id };
}

/** The planner's estimate of how many calls the filters select: cheap, and only an estimate. */
export async function callRowsEstimate(db: Db, filters: NormalisedExportFilters): Promise<number> {
  const [plan] = await callsOf(db, filters).select(sql`1`.as("one")).explain("json");
  const rows = (plan as { "QUERY PLAN"?: { Plan?: { "Plan Rows"?: number } }[] } | undefined)?.[
    "QUERY PLAN"
  ]?.[0]?.Plan?.["Plan Rows"];
  return Math.max(0, Math.round(rows ?? 0));
}
