import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createDb, createPool } from "../../../src/database/pool.ts";
import { runCli } from "../../support/cli.ts";
import { createBlankDatabase, testDatabaseUrl, testDb } from "../../support/database.ts";

const env = (url = testDatabaseUrl()) => ({
  DATABASE_URL: url,
  LOG_LEVEL: "silent",
  REPORT_TIMEZONE: "Europe/Paris",
});
const db = () => testDb().db;

// 2026-03-29 is the day Paris springs forward: a 23-hour local day.
const smallHistory = [
  "generate-calls",
  "--days",
  "2",
  "--calls-per-day",
  "500",
  "--agents",
  "5",
  "--call-queues",
  "3",
  "--campaigns",
  "2",
  "--seed",
  "7",
  "--end-date",
  "2026-03-29",
];

async function count(query: ReturnType<typeof sql<{ n: string }>>, url?: string) {
  if (!url) return Number((await query.execute(db())).rows[0]?.n);
  const pool = createPool(url, 1);
  try {
    return Number((await query.execute(createDb(pool))).rows[0]?.n);
  } finally {
    await pool.end();
  }
}

/** A digest of every generated call, with agents, call queues and campaigns by name. */
const callsDigest = sql<{ n: string }>`
  select md5(string_agg(row(c.direction, c.from_number, c.to_number, c.status, q.name, a.name,
    k.name, c.answered_by, c.created_at, c.dialed_at, c.enqueued_at, c.answered_at, c.ended_at,
    c.duration_seconds, c.queue_result, c.wait_seconds, c.talk_seconds, c.hold_seconds,
    c.wrap_up_seconds, c.outcome)::text, ',' order by c.created_at, c.from_number)) as n
  from calls c left join call_queues q on q.id = c.call_queue_id
  left join agents a on a.id = c.agent_id left join campaigns k on k.id = c.campaign_id`;

/** Answered calls without their agent's busy and wrap-up events at the call's times. */
const unmatchedCalls = sql<{ n: string }>`select count(*) as n from calls c
  where c.agent_id is not null and not exists (
    select from agent_state_events b join agent_state_events w
      on w.call_id = b.call_id and w.state = 'wrap_up'
    where b.call_id = c.id and b.state = 'busy' and b.agent_id = c.agent_id
      and b.started_at = c.answered_at
      and w.started_at = c.answered_at + make_interval(secs => c.talk_seconds + c.hold_seconds))`;

async function digest(url: string): Promise<string> {
  const pool = createPool(url, 1);
  try {
    return String((await callsDigest.execute(createDb(pool))).rows[0]?.n);
  } finally {
    await pool.end();
  }
}

describe("switchboard generate-calls", () => {
  it("refuses bad flags, naming the flag, and writes nothing", async () => {
    const cases: [string[], string][] = [
      [["--days", "0"], "--days"],
      [["--calls-per-day", "-5"], "--calls-per-day"],
      [["--agents", "many"], "--agents"],
      [["--call-queues", "10001"], "--call-queues"],
      [["--end-date", "2026-02-30"], "--end-date"],
      [["--seed", "1.5"], "--seed"],
      [["--agents", "1", "--calls-per-day", "100000"], "--calls-per-day"],
    ];
    for (const [bad, flag] of cases) {
      const args = [...smallHistory];
      for (let index = 0; index < bad.length; index += 2) {
        const at = args.indexOf(bad[index] as string);
        args[at + 1] = bad[index + 1] as string;
      }
      const result = await runCli(args, env());
      expect(result.code, bad.join(" ")).not.toBe(0);
      expect(result.stderr, bad.join(" ")).toContain(flag);
    }
    expect(await count(sql`select count(*) as n from calls`)).toBe(0);
    expect(await count(sql`select count(*) as n from agents`)).toBe(0);
  });

  it("writes the calls asked for, each consistent with its outcome, agents never double-booked", async () => {
    const indexes = sql<{ n: string }>`select string_agg(indexdef, '; ' order by indexname) as n
      from pg_indexes where tablename in ('calls', 'agent_state_events')`;
    const indexesBefore = (await indexes.execute(db())).rows[0]?.n;
    const result = await runCli(smallHistory, env());
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      calls: 1000,
      agents: 5,
      callQueues: 3,
      campaigns: 2,
    });
    expect(result.stderr).toMatch(/wrote 1000 calls .* calls\/s/);
    expect(await count(sql`select count(*) as n from calls`)).toBe(1000);
    // Set aside during the load into empty tables, the indexes are all back.
    expect((await indexes.execute(db())).rows[0]?.n).toBe(indexesBefore);
    expect(indexesBefore).toContain("calls_report_time");

    const violations = {
      answeredInbound: sql<{ n: string }>`select count(*) as n from calls
        where direction = 'inbound' and outcome = 'completed' and not (
          agent_id is not null and call_queue_id is not null and queue_result = 'bridged'
          and status = 'completed' and campaign_id is null
          and abs(extract(epoch from answered_at - enqueued_at) - wait_seconds) <= 1
          and ended_at = answered_at + make_interval(secs => talk_seconds + hold_seconds)
          and talk_seconds >= 1 and wrap_up_seconds >= 1 and hold_seconds >= 0
          and created_at = enqueued_at and enqueued_at <= answered_at)`,
      abandonedInbound: sql<{ n: string }>`select count(*) as n from calls
        where direction = 'inbound' and outcome = 'abandoned' and not (
          agent_id is null and answered_at is null and queue_result = 'hangup'
          and status = 'completed' and talk_seconds is null and wrap_up_seconds is null
          and call_queue_id is not null
          and ended_at = enqueued_at + make_interval(secs => wait_seconds))`,
      inboundOutcome: sql<{ n: string }>`select count(*) as n from calls
        where direction = 'inbound' and outcome not in ('completed', 'abandoned')`,
      outbound: sql<{ n: string }>`select count(*) as n from calls
        where direction = 'outbound-api' and not (
          campaign_id is not null and agent_id is null and call_queue_id is null
          and enqueued_at is null and wait_seconds is null and dialed_at is not null
          and outcome in ('completed', 'busy', 'no-answer', 'failed', 'voicemail')
          and status = case outcome when 'voicemail' then 'completed' else outcome end
          and (answered_at is not null) = (outcome in ('completed', 'voicemail'))
          and dialed_at <= coalesce(answered_at, ended_at) and ended_at >= dialed_at)`,
      // Each call's decisive moment (answer, hang-up, dial) lies in the two Paris days.
      outsideDays: sql<{ n: string }>`select count(*) as n from calls
        where coalesce(answered_at, dialed_at, ended_at)
          not between '2026-03-28T00:00:00+01:00' and '2026-03-29T23:59:59+02:00'`,
    };
    for (const [name, query] of Object.entries(violations)) {
      expect(await count(query), name).toBe(0);
    }
    expect(
      await count(sql`select count(*) as n from calls where outcome = 'abandoned'`),
    ).toBeGreaterThan(0);
    expect(
      await count(sql`select count(*) as n from calls where direction = 'outbound-api'`),
    ).toBeGreaterThan(0);

    // Busier in business hours than at night, in Paris time.
    const byHour = (from: number, to: number) =>
      count(sql`select count(*) as n from calls
        where extract(hour from created_at at time zone 'Europe/Paris') >= ${from}
          and extract(hour from created_at at time zone 'Europe/Paris') < ${to}`);
    expect(await byHour(9, 12)).toBeGreaterThan(4 * (await byHour(1, 4)));

    // Each agent: available, then busy → wrap_up → available per call, offline at the end.
    const badTransitions = sql<{ n: string }>`select count(*) as n from (
      select state, lag(state) over w as previous, lead(state) over w as following
      from agent_state_events window w as (partition by agent_id order by started_at)) e
      where (previous is null and state <> 'available')
         or (following is null and state <> 'offline')
         or (previous is not null and (previous, state) not in (
           ('available', 'busy'), ('busy', 'wrap_up'), ('wrap_up', 'available'),
           ('available', 'offline')))`;
    expect(await count(badTransitions)).toBe(0);
    expect(await count(unmatchedCalls)).toBe(0);

    const again = await runCli(smallHistory, env());
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already have a history");
    expect(await count(sql`select count(*) as n from calls`)).toBe(1000);
  });

  it("writes the same calls for the same seed, and others for another seed", async () => {
    const databases = [
      await createBlankDatabase(),
      await createBlankDatabase(),
      await createBlankDatabase(),
    ];
    const reseeded = smallHistory.map((arg, index) =>
      smallHistory[index - 1] === "--seed" ? "8" : arg,
    );
    const runs = [smallHistory, smallHistory, reseeded];
    for (const [index, url] of databases.entries()) {
      expect((await runCli(["migrate"], env(url))).code).toBe(0);
      expect((await runCli(runs[index] ?? [], env(url))).code).toBe(0);
    }
    const [first, second, third] = await Promise.all(databases.map(digest));
    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(await count(sql<{ n: string }>`select count(*) as n from calls`, databases[2])).toBe(
      1000,
    );
  });

  it("writes a history as a role that is not a superuser, on one connection with its foreign keys checked", async () => {
    const url = await createBlankDatabase();
    expect((await runCli(["migrate"], env(url))).code).toBe(0);
    const role = `switchboard_generator_${process.pid}`;
    const admin = createPool(url, 1);
    try {
      await admin.query(`create role ${role} login`);
      await admin.query(`grant all on all tables in schema public to ${role}`);
      await admin.query(`grant all on all sequences in schema public to ${role}`);
      const asRole = new URL(url);
      asRole.username = role;
      const result = await runCli(smallHistory, env(asRole.toString()));
      expect(result.code, result.stderr).toBe(0);
      expect(await count(sql<{ n: string }>`select count(*) as n from calls`, url)).toBe(1000);
      expect(await count(unmatchedCalls, url)).toBe(0);
      expect(
        await count(sql<{ n: string }>`select count(*) as n from agent_state_events`, url),
      ).toBeGreaterThan(1000);
    } finally {
      await admin.query(`drop owned by ${role}`);
      await admin.query(`drop role ${role}`);
      await admin.end();
    }
  });
});
