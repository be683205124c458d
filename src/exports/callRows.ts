/**
 * The calls an export holds, read in keyset-paged chunks in (report time, id) order. A chunk is
 * the rows after one key up to and including the next: `callRowsChunkEnd` finds where a chunk
 * of `n` rows ends, then PostgreSQL writes the chunk itself with `COPY … TO STDOUT`, as CSV or
 * as JSON objects one a line, so Node only moves bytes. Each query is short and stands alone:
 * an export never holds a snapshot (and the xmin that keeps the job table from being vacuumed)
 * for longer than one chunk takes (ARCHITECTURE.md, decision 12). Every query is a range scan
 * of `calls_report_time_id`.
 *
 * Times are written in UTC as ISO 8601 with up to six fraction digits, trailing zeros dropped:
 * `2026-11-22T13:45:01.1234Z`. Text cells of the CSV go through `csvCellSql` (formula escape).
 */
import { type ExpressionBuilder, type RawBuilder, sql } from "kysely";
import { copyCsvText, copyLinesText } from "../database/copyOut.ts";
import type { Db } from "../database/pool.ts";
import type { CallTable, Database } from "../database/schema.ts";
import { isoMicros } from "../database/timestamps.ts";
import { csvCellSql } from "../shared/csvCell.ts";
import { type ExportColumnName, exportColumnNames } from "./exportColumns.ts";
import { directionsOf, type NormalisedExportFilters } from "./filters.ts";

/** A chunk starts after this (report time, id). `at` is ISO with microseconds. */
export interface CallRowKey {
  at: string;
  id: number;
}

type CallsDatabase = Database & { c: CallTable };

const reportTime = sql<Date>`coalesce(c.enqueued_at, c.created_at)`;

/** ISO 8601 UTC text of a timestamptz, null for null. */
const isoUtc = (time: RawBuilder<unknown>) =>
  sql<string | null>`replace((${time} at time zone 'UTC')::text, ' ', 'T') || 'Z'`;

/**
 * Each column's value, and whether its CSV cell goes through the formula escape: every text that
 * comes from outside (numbers, names, Twilio's words); not ids, numbers, times, or text a check
 * constraint keeps to known words (`direction`, `outcome`).
 */
const columnValues: Record<ExportColumnName, { value: RawBuilder<unknown>; escape: boolean }> = {
  id: { value: sql`c.id`, escape: false },
  call_id: { value: sql`c.public_id`, escape: false },
  call_sid: { value: sql`c.sid`, escape: true },
  direction: { value: sql`c.direction`, escape: false },
  from_number: { value: sql`c.from_number`, escape: true },
  to_number: { value: sql`c.to_number`, escape: true },
  status: { value: sql`c.status`, escape: true },
  outcome: { value: sql`c.outcome`, escape: false },
  call_queue_id: { value: sql`c.call_queue_id`, escape: false },
  call_queue: { value: sql`q.name`, escape: true },
  agent_id: { value: sql`c.agent_id`, escape: false },
  agent: { value: sql`a.name`, escape: true },
  campaign_id: { value: sql`m.public_id`, escape: false },
  campaign: { value: sql`m.name`, escape: true },
  report_time: { value: isoUtc(reportTime), escape: false },
  created_at: { value: isoUtc(sql`c.created_at`), escape: false },
  enqueued_at: { value: isoUtc(sql`c.enqueued_at`), escape: false },
  answered_at: { value: isoUtc(sql`c.answered_at`), escape: false },
  ended_at: { value: isoUtc(sql`c.ended_at`), escape: false },
  wait_seconds: { value: sql`c.wait_seconds`, escape: false },
  talk_seconds: { value: sql`c.talk_seconds`, escape: false },
  hold_seconds: { value: sql`c.hold_seconds`, escape: false },
  wrap_up_seconds: { value: sql`c.wrap_up_seconds`, escape: false },
  duration_seconds: { value: sql`c.duration_seconds`, escape: false },
  queue_result: { value: sql`c.queue_result`, escape: true },
  answered_by: { value: sql`c.answered_by`, escape: true },
  error_code: { value: sql`c.error_code`, escape: false },
  error_message: { value: sql`c.error_message`, escape: true },
};

/** The calls the filters select in the chunk (after, upTo], in key order. */
function callsOf(
  db: Db,
  filters: NormalisedExportFilters,
  after: CallRowKey | null,
  upTo: CallRowKey | null,
) {
  return db
    .selectFrom("calls as c")
    .where((eb) => eb.and(conditions(eb, filters)))
    .$if(after !== null, (q) =>
      q.where(
        sql<boolean>`(${reportTime}, c.id) > (${after?.at}::timestamptz, ${after?.id}::bigint)`,
      ),
    )
    .$if(upTo !== null, (q) =>
      q.where(
        sql<boolean>`(${reportTime}, c.id) <= (${upTo?.at}::timestamptz, ${upTo?.id}::bigint)`,
      ),
    )
    .orderBy(reportTime)
    .orderBy("c.id");
}

function conditions(eb: ExpressionBuilder<CallsDatabase, "c">, f: NormalisedExportFilters) {
  const all = [
    eb(reportTime, ">=", sql<Date>`${f.start_date}::timestamptz`),
    eb(reportTime, "<=", sql<Date>`${f.end_date}::timestamptz`),
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
 * The key of the `rows`-th call after `after` (from the start when null): where a chunk of
 * `rows` ends. Null when fewer are left, so the chunk from `after` is the last.
 */
export async function callRowsChunkEnd(
  db: Db,
  filters: NormalisedExportFilters,
  after: CallRowKey | null,
  rows: number,
): Promise<CallRowKey | null> {
  const row = await callsOf(db, filters, after, null)
    .select([sql<string>`(${reportTime} at time zone 'UTC')::text`.as("at"), "c.id"])
    .offset(rows - 1)
    .limit(1)
    .executeTakeFirst();
  return row ? { at: isoMicros(row.at), id: row.id } : null;
}

function withColumns(
  db: Db,
  filters: NormalisedExportFilters,
  after: CallRowKey | null,
  upTo: CallRowKey | null,
) {
  return callsOf(db, filters, after, upTo)
    .leftJoin("call_queues as q", "q.id", "c.call_queue_id")
    .leftJoin("agents as a", "a.id", "c.agent_id")
    .leftJoin("campaigns as m", "m.id", "c.campaign_id");
}

/** The `COPY … TO STDOUT` that writes the chunk (after, upTo] as CSV, with the header if asked. */
export function callRowsCsvCopy(
  db: Db,
  filters: NormalisedExportFilters,
  chunk: { after: CallRowKey | null; upTo: CallRowKey | null; header: boolean },
): string {
  const query = withColumns(db, filters, chunk.after, chunk.upTo).select(
    exportColumnNames.map((name) => {
      const column = columnValues[name];
      return (column.escape ? csvCellSql(column.value) : column.value).as(name);
    }),
  );
  return copyCsvText(query.compile(), { header: chunk.header });
}

/**
 * The `COPY … TO STDOUT` that writes the chunk (after, upTo] as JSON objects (keys in column
 * order), one a line, each after a comma when `separator` is set.
 */
export function callRowsJsonCopy(
  db: Db,
  filters: NormalisedExportFilters,
  chunk: { after: CallRowKey | null; upTo: CallRowKey | null; separator: boolean },
): string {
  const pairs = sql.join(
    exportColumnNames.map((name) => sql`${sql.lit(name)}, ${columnValues[name].value}`),
  );
  const object = sql<string>`json_build_object(${pairs})::text`;
  const query = withColumns(db, filters, chunk.after, chunk.upTo).select(
    (chunk.separator ? sql<string>`',' || ${object}` : object).as("object"),
  );
  return copyLinesText(query.compile());
}

/** The planner's estimate of how many calls the filters select: cheap, and only an estimate. */
export async function callRowsEstimate(db: Db, filters: NormalisedExportFilters): Promise<number> {
  const [plan] = await callsOf(db, filters, null, null).select(sql`1`.as("one")).explain("json");
  const rows = (plan as { "QUERY PLAN"?: { Plan?: { "Plan Rows"?: number } }[] } | undefined)?.[
    "QUERY PLAN"
  ]?.[0]?.Plan?.["Plan Rows"];
  return Math.max(0, Math.round(rows ?? 0));
}
