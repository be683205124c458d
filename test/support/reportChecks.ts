/**
 * Independent SQL for report tests: the contact-center figures computed straight from calls,
 * agent states, campaigns and recordings with the published definitions (short abandons under
 * 5 s, service level within 20 s), to compare with what a stored report holds.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sql } from "kysely";
import { from as copyFrom } from "pg-copy-streams";
import { expect } from "vitest";
import type { Db, Pool } from "../../src/database/pool.ts";
import type { RecordingStore } from "../../src/storage/recordingStore.ts";
import { readAll } from "./streams.ts";

export interface Range {
  from: Date;
  to: Date;
}

export interface ExpectedCallQueueFigures {
  label: string | null;
  callQueueId: number | null;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  abandonmentRate: number | null;
  serviceLevel: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  longestWaitSeconds: number | null;
  averageHandleTimeSeconds: number | null;
  talkSeconds: number;
  holdSeconds: number;
  wrapUpSeconds: number;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/**
 * Inbound figures over `range`, grouped by a local hour (`hour`), day (`day`), ISO week
 * (`week`, its Monday), by call queue, or not at all.
 */
export async function sqlCallQueueFigures(
  db: Db,
  range: Range,
  timeZone: string,
  by: "hour" | "day" | "week" | "callQueue" | "total",
): Promise<ExpectedCallQueueFigures[]> {
  const local = sql`(enqueued_at at time zone ${timeZone})`;
  const label = {
    hour: sql`to_char(date_trunc('hour', ${local}), 'YYYY-MM-DD"T"HH24:MI')`,
    day: sql`to_char(${local}, 'YYYY-MM-DD')`,
    week: sql`to_char(date_trunc('week', ${local}), 'YYYY-MM-DD')`,
    callQueue: sql`null::text`,
    total: sql`null::text`,
  }[by];
  const callQueue = by === "callQueue" ? sql`call_queue_id` : sql`null::bigint`;
  const rows = await sql<{
    label: string | null;
    call_queue_id: string | null;
    offered: number;
    answered: number;
    abandoned: number;
    short_abandoned: number;
    within: number;
    answer_wait: number | null;
    longest: number | null;
    talk: number;
    hold: number;
    wrap: number;
  }>`
    select ${label} as label, ${callQueue} as call_queue_id,
           count(*)::int as offered,
           count(*) filter (where answered_at is not null)::int as answered,
           count(*) filter (where outcome = 'abandoned' and wait_seconds >= 5)::int as abandoned,
           count(*) filter (where outcome = 'abandoned' and wait_seconds < 5)::int as short_abandoned,
           count(*) filter (where answered_at is not null and wait_seconds <= 20)::int as within,
           (sum(wait_seconds) filter (where answered_at is not null))::int as answer_wait,
           max(wait_seconds) as longest,
           coalesce(sum(talk_seconds) filter (where answered_at is not null), 0)::int as talk,
           coalesce(sum(hold_seconds) filter (where answered_at is not null), 0)::int as hold,
           coalesce(sum(wrap_up_seconds) filter (where answered_at is not null), 0)::int as wrap
    from calls
    where direction = 'inbound' and enqueued_at >= ${range.from} and enqueued_at < ${range.to}
    group by 1, 2
    order by 1, 2`.execute(db);
  return rows.rows.map((row) => {
    const counted = row.offered - row.short_abandoned;
    return {
      label: row.label,
      callQueueId: row.call_queue_id === null ? null : Number(row.call_queue_id),
      offered: row.offered,
      answered: row.answered,
      abandoned: row.abandoned,
      shortAbandoned: row.short_abandoned,
      abandonmentRate: ratio(row.abandoned, counted),
      serviceLevel: ratio(row.within, counted),
      averageSpeedOfAnswerSeconds: row.answer_wait === null ? null : row.answer_wait / row.answered,
      longestWaitSeconds: row.longest,
      averageHandleTimeSeconds: ratio(row.talk + row.hold + row.wrap, row.answered),
      talkSeconds: row.talk,
      holdSeconds: row.hold,
      wrapUpSeconds: row.wrap,
    };
  });
}

/** Each agent's figures over `range` (or per local day of it, `byDay`). */
export async function sqlAgentFigures(db: Db, range: Range, timeZone: string, byDay = false) {
  const day = byDay
    ? sql`to_char(enqueued_at at time zone ${timeZone}, 'YYYY-MM-DD')`
    : sql`null::text`;
  const handled = await sql<{
    agent_id: string;
    day: string | null;
    handled: number;
    talk: number;
    hold: number;
    wrap: number;
  }>`
    select agent_id, ${day} as day, count(*)::int as handled,
           coalesce(sum(talk_seconds), 0)::int as talk, coalesce(sum(hold_seconds), 0)::int as hold,
           coalesce(sum(wrap_up_seconds), 0)::int as wrap
    from calls
    where agent_id is not null and answered_at is not null
      and enqueued_at >= ${range.from} and enqueued_at < ${range.to}
    group by 1, 2`.execute(db);
  // Assumes every state of the test data starts and ends within one local day.
  const stateDay = byDay
    ? sql`to_char(started_at at time zone ${timeZone}, 'YYYY-MM-DD')`
    : sql`null::text`;
  const states = await sql<{
    agent_id: string;
    day: string | null;
    available: number;
    busy: number;
    wrap_up: number;
    handling: number;
    logged_in: number;
  }>`
    with spans as (
      select agent_id, state, call_id, started_at,
             coalesce(lead(started_at) over (partition by agent_id order by started_at), ${range.to}::timestamptz) as ended_at
      from agent_state_events
    ), clipped as (
      select agent_id, state, call_id, started_at,
             extract(epoch from least(ended_at, ${range.to}::timestamptz) - greatest(started_at, ${range.from}::timestamptz))::float8 as seconds
      from spans where started_at < ${range.to} and ended_at > ${range.from}
    )
    select agent_id, ${stateDay} as day,
           coalesce(sum(seconds) filter (where state = 'available'), 0) as available,
           coalesce(sum(seconds) filter (where state = 'busy'), 0) as busy,
           coalesce(sum(seconds) filter (where state = 'wrap_up'), 0) as wrap_up,
           coalesce(sum(seconds) filter (where state in ('busy', 'wrap_up') and call_id is not null), 0) as handling,
           coalesce(sum(seconds) filter (where state <> 'offline'), 0) as logged_in
    from clipped group by 1, 2`.execute(db);
  const keyOf = (agentId: string, d: string | null) => `${agentId}/${d}`;
  const keys = new Set([
    ...handled.rows.map((row) => keyOf(row.agent_id, row.day)),
    ...states.rows.map((row) => keyOf(row.agent_id, row.day)),
  ]);
  return [...keys].map((key) => {
    const h = handled.rows.find((row) => keyOf(row.agent_id, row.day) === key);
    const s = states.rows.find((row) => keyOf(row.agent_id, row.day) === key);
    const [agentId, d] = key.split("/") as [string, string];
    const handling = s?.handling ?? 0;
    const available = s?.available ?? 0;
    const count = h?.handled ?? 0;
    return {
      agentId: Number(agentId),
      day: d === "null" ? null : d,
      handled: count,
      talkSeconds: h?.talk ?? 0,
      holdSeconds: h?.hold ?? 0,
      wrapUpSeconds: h?.wrap ?? 0,
      averageHandleTimeSeconds: ratio((h?.talk ?? 0) + (h?.hold ?? 0) + (h?.wrap ?? 0), count),
      availableSeconds: available,
      busySeconds: s?.busy ?? 0,
      wrapUpStateSeconds: s?.wrap_up ?? 0,
      loggedInSeconds: s?.logged_in ?? 0,
      occupancy: ratio(handling, handling + available),
      utilization: ratio(handling, s?.logged_in ?? 0),
    };
  });
}

/** Expects `actual` to hold every figure of `expected`, fractions to 9 decimals. */
export function expectFigures(actual: object, expected: object, what = "") {
  for (const [name, value] of Object.entries(expected)) {
    const got = (actual as Record<string, unknown>)[name];
    if (typeof value === "number" && !Number.isInteger(value)) {
      expect(got, `${what} ${name}`).toBeCloseTo(value, 9);
    } else {
      expect(got, `${what} ${name}`).toEqual(value);
    }
  }
}

/** The decrypted text of a stored file. */
export async function storedText(files: RecordingStore, key: string): Promise<string> {
  return (await readAll(await files.get(key))).toString("utf8");
}

/** Loads a report's CSV into a temporary table with PostgreSQL's own CSV parser; its rows. */
export async function csvRowsViaCopy(pool: Pool, csv: string) {
  const client = await pool.connect();
  try {
    await client.query(`create temporary table report_csv (
      section text, period text, period_start text, call_queue_id text, call_queue text,
      agent_id text, agent text, campaign_id text, campaign text, metric text, value text)`);
    await pipeline(
      Readable.from([csv]),
      client.query(copyFrom("copy report_csv from stdin with (format csv, header match)")),
    );
    const { rows } = await client.query<Record<string, string | null>>("select * from report_csv");
    await client.query("drop table report_csv");
    return rows;
  } finally {
    client.release();
  }
}

/** Compares sql figures with report rows keyed by `keyOf`. */
export function expectRowsMatch<R extends object>(
  actual: R[],
  expected: ExpectedCallQueueFigures[],
  keyOf: (row: R) => string | number | null,
  expectedKey: (row: ExpectedCallQueueFigures) => string | number | null,
) {
  expect(actual.map(keyOf).sort()).toEqual(expected.map(expectedKey).sort());
  for (const want of expected) {
    const got = actual.find((row) => keyOf(row) === expectedKey(want));
    const { label: _label, callQueueId: _id, ...figures } = want;
    expectFigures(got as object, figures, String(expectedKey(want)));
  }
}
