/**
 * Writes a generated call-center history into the database: named agents, call queues and
 * campaigns, then each day's calls and the agents' state events. The rows are computed in the
 * process (historyRows.ts) and streamed in binary COPY format on two connections at once, one
 * for calls and one for agent state events, so that PostgreSQL only stores them.
 *
 * The whole history is one transaction on each connection, committed once both are through, so
 * a failure writes no call. Call and event ids are reserved up front, so that events can name
 * their call and no row takes its id from the sequence.
 * Into tables that hold fewer rows than the history brings, the secondary indexes are dropped
 * and built again at the end of those transactions (deferredIndexes.ts): other sessions wait
 * for `calls` and `agent_state_events` until the history is written.
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { sql } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { BinaryCopyWriter } from "../../database/binaryCopy.ts";
import { deferSecondaryIndexes, rebuildIndexes } from "../../database/deferredIndexes.ts";
import type { Db, Pool } from "../../database/pool.ts";
import { type HistoryOptions, type HistoryPlan, planHistory } from "./historyPlan.ts";
import {
  generatedCallColumns,
  generatedEventColumns,
  type HistoryDay,
  HistoryRows,
  maxEventsPerCall,
} from "./historyRows.ts";

export interface HistoryResult {
  calls: number;
  agentStateEvents: number;
  agents: number;
  callQueues: number;
  campaigns: number;
  seconds: number;
  callsPerSecond: number;
}

export interface GenerateHistoryDeps {
  db: Db;
  /** Two of its connections carry the COPY streams. */
  pool: Pool;
  /** Called after each batch of days with the calls written so far. */
  onProgress?: (written: number, total: number, elapsedSeconds: number) => void;
  /** Told about the steps around the rows: indexes set aside and built again. */
  onStep?: (message: string) => void;
}

/** Calls written per transaction (whole days are kept together). */
const batchCalls = 500_000;
/** Calls computed between two hand-overs to the COPY streams. */
const sliceCalls = 4096;
/** About how many agent state events a call brings (three for each answered inbound call). */
const eventsPerCall = 2.5;

/**
 * Every reference these rows make is to an id this run has just read, written or reserved, so
 * the foreign-key checks are skipped where the role may (superusers). Returns whether they are.
 */
async function skipForeignKeyChecks(client: pg.ClientBase): Promise<boolean> {
  const role = await client.query<{ is_superuser: string }>("show is_superuser");
  if (role.rows[0]?.is_superuser !== "on") return false;
  await client.query("set local session_replication_role = replica");
  return true;
}

export async function generateHistory(
  options: HistoryOptions,
  deps: GenerateHistoryDeps,
): Promise<HistoryResult> {
  const started = performance.now();
  const plan = planHistory(options);
  await refuseOverlap(deps.db, options, plan);
  const agentIds = await upsertAgents(deps.db, options.agents);
  const callQueueIds = await upsertCallQueues(deps.db, options.callQueues);
  const campaignIds = await createCampaigns(deps.db, options, plan);
  const days = await historyDays(deps.db, plan, options.timeZone);
  const total = days.reduce((sum, day) => sum + day.calls, 0);
  const runTag = `${Date.now().toString(16).padStart(12, "0")}${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, "0")}`;
  const rows = new HistoryRows({
    seed: options.seed,
    plan,
    agentIds,
    callQueueIds,
    campaignIds,
    runTag,
    firstCallId: await reserveIds(deps.db, "calls", total),
    // Ids for every event the calls could bring; those of unanswered calls are left unused.
    firstEventId: await reserveIds(deps.db, "agent_state_events", total * maxEventsPerCall),
  });

  let written = 0;
  let events = 0;
  const callsClient = await deps.pool.connect();
  let eventsClient = callsClient;
  try {
    await callsClient.query("begin");
    // Events name calls the other connection has not committed: checked, they would fail, so
    // without the right to skip the checks both tables are written on one connection.
    if (await skipForeignKeyChecks(callsClient)) {
      eventsClient = await deps.pool.connect();
      await eventsClient.query("begin");
      await skipForeignKeyChecks(eventsClient);
    }
    const deferred = await Promise.all([
      deferSecondaryIndexes(callsClient, "calls", total),
      deferSecondaryIndexes(eventsClient, "agent_state_events", total * eventsPerCall),
    ]);
    const setAside = deferred.flat().map((index) => index.name);
    if (setAside.length > 0) {
      deps.onStep?.(`indexes set aside until the rows are written: ${setAside.join(", ")}`);
    }
    for (const batch of dayBatches(days)) {
      const done = await copyDays(rows, batch, callsClient, eventsClient);
      written += done.calls;
      events += done.agentStateEvents;
      deps.onProgress?.(written, total, (performance.now() - started) / 1000);
    }
    const rebuilding = performance.now();
    const built = await Promise.all([
      rebuildIndexes(callsClient, deferred[0]),
      rebuildIndexes(eventsClient, deferred[1]),
    ]);
    if (setAside.length > 0) {
      const each = Object.entries({ ...built[0], ...built[1] })
        .map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`)
        .join(", ");
      deps.onStep?.(
        `${setAside.length} indexes built again in ${((performance.now() - rebuilding) / 1000).toFixed(1)} s (${each})`,
      );
    }
    events += await bracketAgentShifts(eventsClient, agentIds, plan, options.timeZone);
    await callsClient.query("commit");
    await eventsClient.query("commit");
  } catch (error) {
    await Promise.allSettled(
      [...new Set([callsClient, eventsClient])].map((client) => client.query("rollback")),
    );
    throw error;
  } finally {
    for (const client of new Set([callsClient, eventsClient])) client.release();
  }
  if (campaignIds.length > 0) {
    await sql`
      update campaigns set total_calls = counted.calls
      from unnest(${campaignIds}::bigint[], ${rows.campaignCalls}::int[]) counted (id, calls)
      where campaigns.id = counted.id`.execute(deps.db);
  }

  const seconds = (performance.now() - started) / 1000;
  return {
    calls: total,
    agentStateEvents: events,
    agents: agentIds.length,
    callQueues: callQueueIds.length,
    campaigns: campaignIds.length,
    seconds: Math.round(seconds * 1000) / 1000,
    callsPerSecond: Math.round(total / seconds),
  };
}

const copyCalls = `copy calls (${generatedCallColumns.join(", ")}) from stdin (format binary)`;
const copyEvents = `copy agent_state_events (${generatedEventColumns.join(", ")}) from stdin (format binary)`;

/**
 * Streams the calls of `days` on one connection and their agents' events on the other at the
 * same time; on a single connection, the events follow the calls (held in memory meanwhile).
 */
async function copyDays(
  rows: HistoryRows,
  days: HistoryDay[],
  callsClient: pg.PoolClient,
  eventsClient: pg.PoolClient,
) {
  const callsStream = callsClient.query(copyFrom(copyCalls));
  const eventsStream =
    eventsClient === callsClient ? undefined : eventsClient.query(copyFrom(copyEvents));
  const heldEvents: Buffer[] = [];
  // Either stream failing stops both: a write waiting on the other must not wait forever.
  const failure = new Promise<never>((_, reject) => {
    callsStream.once("error", reject);
    eventsStream?.once("error", reject);
  });
  failure.catch(() => {});
  const send = async (stream: Writable, chunks: Buffer[]) => {
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), failure]);
    }
  };
  const sendEvents = (chunks: Buffer[]) =>
    eventsStream ? send(eventsStream, chunks) : heldEvents.push(...chunks);
  const calls = new BinaryCopyWriter();
  const events = new BinaryCopyWriter();
  const written = { calls: 0, agentStateEvents: 0 };
  try {
    for (const day of days) {
      for (let from = 0; from < day.calls; from += sliceCalls) {
        const slice = rows.write(day, from, Math.min(day.calls, from + sliceCalls), calls, events);
        written.calls += slice.calls;
        written.agentStateEvents += slice.agentStateEvents;
        await send(callsStream, calls.take());
        await sendEvents(events.take());
      }
    }
    calls.end();
    events.end();
    await send(callsStream, calls.take());
    await sendEvents(events.take());
    callsStream.end();
    eventsStream?.end();
    await Promise.race([
      Promise.all([finished(callsStream), eventsStream && finished(eventsStream)]),
      failure,
    ]);
  } catch (error) {
    callsStream.destroy();
    eventsStream?.destroy();
    throw error;
  }
  if (!eventsStream) {
    const later = eventsClient.query(copyFrom(copyEvents));
    for (const chunk of heldEvents) {
      if (!later.write(chunk)) await once(later, "drain");
    }
    later.end();
    await finished(later);
  }
  return written;
}

/** The local days of the plan with their start and length, as PostgreSQL's time zones say. */
async function historyDays(db: Db, plan: HistoryPlan, timeZone: string): Promise<HistoryDay[]> {
  const result = await sql<{ start: number; next: number }>`
    select extract(epoch from d::timestamp at time zone ${timeZone})::float8 as start,
           extract(epoch from (d + 1)::timestamp at time zone ${timeZone})::float8 as next
    from unnest(${plan.dates}::date[]) with ordinality as days (d, position)
    order by position`.execute(db);
  let firstCall = 0;
  return result.rows.map((row, index) => {
    const calls = plan.callsByDay[index] ?? 0;
    const day = { start: Number(row.start), seconds: row.next - row.start, calls, firstCall };
    firstCall += calls;
    return day;
  });
}

/**
 * Takes `count` consecutive ids from the identity sequence of `table`, so that rows written
 * with COPY can name each other and skip the sequence row by row. The table lock holds off
 * inserts (which take their ids from the same sequence) for the moment of the reservation.
 */
async function reserveIds(
  db: Db,
  table: "calls" | "agent_state_events",
  count: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`lock table ${sql.table(table)} in share row exclusive mode`.execute(trx);
    const result = await sql<{ first: string }>`
      select setval(pg_get_serial_sequence(${table}, 'id'),
                    nextval(pg_get_serial_sequence(${table}, 'id')) + ${count}::bigint - 1)
             - ${count}::bigint + 1 as first`.execute(trx);
    return Number(result.rows[0]?.first);
  });
}

export class HistoryOverlapError extends Error {
  override name = "HistoryOverlapError";
}

/** Two histories over the same agents and days would give an agent two states at once. */
async function refuseOverlap(db: Db, options: HistoryOptions, plan: HistoryPlan) {
  const found = await sql<{ started_at: Date }>`
    select e.started_at from agent_state_events e join agents a on a.id = e.agent_id
    where a.email like 'agent%@callcenter.example'
      and e.started_at >= (${plan.dates[0]}::date)::timestamp at time zone ${options.timeZone} - interval '15 minutes'
      and e.started_at <= (${plan.dates.at(-1)}::date + 1)::timestamp at time zone ${options.timeZone}
    limit 1`.execute(db);
  if (found.rows.length > 0) {
    throw new HistoryOverlapError(
      `generated agents already have a history between ${plan.dates[0]} and ${plan.dates.at(-1)}; choose another --end-date or database`,
    );
  }
}

/** Whole days, grouped until a group holds `batchCalls` calls. */
function dayBatches(days: HistoryDay[]): HistoryDay[][] {
  const batches: HistoryDay[][] = [];
  let current: HistoryDay[] = [];
  let calls = 0;
  for (const day of days) {
    current.push(day);
    calls += day.calls;
    if (calls >= batchCalls) {
      batches.push(current);
      current = [];
      calls = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function upsertAgents(db: Db, count: number): Promise<number[]> {
  const rows = await sql<{ id: string }>`
    insert into agents (name, email, phone_number)
    select format('Agent %s', lpad(n::text, 3, '0')),
           format('agent%s@callcenter.example', lpad(n::text, 3, '0')),
           format('+1555020%s', lpad(n::text, 4, '0'))
    from generate_series(1, ${count}::int) n
    on conflict (email) do update set name = excluded.name
    returning id`.execute(db);
  return rows.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

const queueNames = ["Sales", "Support", "Billing", "Technical", "Retention", "Orders"];

async function upsertCallQueues(db: Db, count: number): Promise<number[]> {
  const rows = await sql<{ id: string }>`
    insert into call_queues (name, description)
    select case when n <= cardinality(${queueNames}::text[])
                then (${queueNames}::text[])[n]
                else format('Queue %s', lpad(n::text, 2, '0')) end,
           'generated call queue'
    from generate_series(1, ${count}::int) n
    on conflict (name) do update set description = call_queues.description
    returning id`.execute(db);
  return rows.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

async function createCampaigns(db: Db, options: HistoryOptions, plan: HistoryPlan) {
  if (options.campaigns === 0) return [];
  const rows = await sql<{ id: string }>`
    insert into campaigns (name, from_number, status, max_concurrent_calls, total_calls,
                           created_at, finished_at)
    select format('Campaign %s (seed %s)', n, ${options.seed}::bigint),
           format('+1555090%s', lpad(n::text, 4, '0')), 'completed', 10, 0,
           (${plan.dates[0]}::date)::timestamp at time zone ${options.timeZone},
           (${plan.dates.at(-1)}::date + 1)::timestamp at time zone ${options.timeZone}
    from generate_series(1, ${options.campaigns}::int) n
    returning id`.execute(db);
  return rows.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

/** Each agent logs in before the history's first call and out after its last one. */
async function bracketAgentShifts(
  client: pg.ClientBase,
  agentIds: number[],
  plan: HistoryPlan,
  timeZone: string,
): Promise<number> {
  const result = await client.query(
    `insert into agent_state_events (agent_id, state, started_at)
     select agent_id, shift.state, shift.started_at
     from unnest($1::bigint[]) agent_id,
          (values ('available', ($2::date)::timestamp at time zone $4 - interval '15 minutes'),
                  ('offline', ($3::date + 1)::timestamp at time zone $4)
          ) shift (state, started_at)
     on conflict (agent_id, started_at) do nothing`,
    [agentIds, plan.dates[0], plan.dates.at(-1), timeZone],
  );
  return result.rowCount ?? 0;
}
