/**
 * Writes a generated call-center history straight into the database: named agents, call queues
 * and campaigns, then each day's calls and the agents' state events, computed by PostgreSQL from
 * `generate_series` so that no row crosses the wire.
 *
 * Every random draw is a hash of (seed, call number, draw number), so the same options write the
 * same calls whatever the order or the connection the days are written in. Agents take the calls
 * of a day in turn (call j goes to agent j mod agents), and a call's talk, hold and wrap-up are cut
 * to end before that agent's next turn: each agent goes available → busy → wrap_up → available
 * without overlap. Agents are on duty around the clock; the quiet hours show as idle time.
 */
import { sql } from "kysely";
import { callStatusRank } from "../../calls/callStatus.ts";
import type { Db, Pool } from "../../database/pool.ts";
import { type HistoryOptions, type HistoryPlan, planHistory } from "./historyPlan.ts";

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
  pool: Pool;
  /** Called after each batch of days with the calls written so far. */
  onProgress?: (written: number, total: number, elapsedSeconds: number) => void;
  /** Batches written at once, each on its own connection. */
  concurrency?: number;
}

/** Calls written per statement (whole days are kept together). */
const batchCalls = 60_000;
const inboundShareWithCampaigns = 0.8;

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

  const statement = callsStatement(options, plan);
  const batches = dayBatches(plan);
  const total = plan.callsByDay.reduce((sum, count) => sum + count, 0);
  const runTag = `${Date.now().toString(16).padStart(12, "0")}${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, "0")}`;
  let written = 0;
  let events = 0;
  let next = 0;
  const worker = async () => {
    const client = await deps.pool.connect();
    // Every reference these rows make is to an id this run has just read or written, so the
    // foreign-key checks are skipped where the role may (superusers); others run them.
    const skipsChecks = await client
      .query("set session_replication_role = replica")
      .then(() => true)
      .catch(() => false);
    try {
      for (let index = next++; index < batches.length; index = next++) {
        const batch = batches[index];
        if (!batch) break;
        const result = await client.query<{ events: string }>(statement, [
          batch.dates,
          batch.counts,
          batch.firstCall,
          agentIds,
          callQueueIds,
          campaignIds,
          plan.arrivalQuantiles,
          plan.hourLoad,
          runTag,
        ]);
        written += batch.calls;
        events += Number(result.rows[0]?.events ?? 0);
        deps.onProgress?.(written, total, (performance.now() - started) / 1000);
      }
    } finally {
      if (skipsChecks) await client.query("reset session_replication_role");
      client.release();
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency ?? 2 }, worker));
  events += await bracketAgentShifts(deps.db, agentIds, plan, options.timeZone);
  await sql`
    update campaigns set total_calls = counted.calls
    from (select campaign_id, count(*)::int as calls from calls
          where campaign_id = any(${campaignIds}::bigint[]) group by campaign_id) counted
    where campaigns.id = counted.campaign_id`.execute(deps.db);

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

interface DayBatch {
  dates: string[];
  counts: number[];
  /** The call number of each day's first call, counted over the whole history. */
  firstCall: number[];
  calls: number;
}

function dayBatches(plan: HistoryPlan): DayBatch[] {
  const batches: DayBatch[] = [];
  let current: DayBatch = { dates: [], counts: [], firstCall: [], calls: 0 };
  let callNumber = 0;
  plan.dates.forEach((date, index) => {
    const count = plan.callsByDay[index] ?? 0;
    current.dates.push(date);
    current.counts.push(count);
    current.firstCall.push(callNumber);
    current.calls += count;
    callNumber += count;
    if (current.calls >= batchCalls) {
      batches.push(current);
      current = { dates: [], counts: [], firstCall: [], calls: 0 };
    }
  });
  if (current.dates.length > 0) batches.push(current);
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
  db: Db,
  agentIds: number[],
  plan: HistoryPlan,
  timeZone: string,
): Promise<number> {
  const result = await sql`
    insert into agent_state_events (agent_id, state, started_at)
    select agent_id, shift.state, shift.started_at
    from unnest(${agentIds}::bigint[]) agent_id,
         (values ('available',
                  (${plan.dates[0]}::date)::timestamp at time zone ${timeZone} - interval '15 minutes'),
                 ('offline',
                  (${plan.dates.at(-1)}::date + 1)::timestamp at time zone ${timeZone})
         ) shift (state, started_at)
    on conflict (agent_id, started_at) do nothing`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * One statement per batch of days. Parameters: $1 local dates, $2 calls per date, $3 first call
 * number per date, $4 agent ids, $5 call queue ids, $6 campaign ids, $7 arrival quantiles,
 * $8 hour load, $9 a tag unique to this run (for Twilio-like sids).
 */
function callsStatement(options: HistoryOptions, plan: HistoryPlan): string {
  const seed = BigInt(options.seed) * 64n;
  /** A uniform draw in [0, 1): draw number `draw` of call number `call`. */
  const draw = (n: number, call = "k") =>
    `((hashint8extended(${call}, ${seed + BigInt(n)}) & 4503599627370495)::float8 / 4503599627370496.0)`;
  /** A positive draw in (0, 1], for logarithms. */
  const open = (n: number) => `(1.0 - ${draw(n)})`;
  /** Position of call `j` (stratified within its 1/n slice) among the arrival quantiles. */
  const position = (j: string, call: string) =>
    `((${j}) + 0.5 * ${draw(0, call)}) / n * ${plan.arrivalQuantiles.length - 1}`;
  /** The fraction of the day at position `x`, interpolated between quantiles. */
  const fraction = (x: string) =>
    `(($7::float8[])[floor(${x})::int + 1] + (${x} - floor(${x})) * (($7::float8[])[floor(${x})::int + 2] - ($7::float8[])[floor(${x})::int + 1]))`;
  const timeZone = options.timeZone.replaceAll("'", "''");
  const outbound = options.campaigns > 0 ? `${draw(1)} >= ${inboundShareWithCampaigns}` : "false";
  const completed = callStatusRank.completed;

  return `
with days as (
  select d.local_date, d.n, d.first_call,
         d.local_date::timestamp at time zone '${timeZone}' as day_start,
         extract(epoch from ((d.local_date + 1)::timestamp at time zone '${timeZone}')
                          - (d.local_date::timestamp at time zone '${timeZone}'))::int as day_seconds
  from unnest($1::date[], $2::int[], $3::bigint[]) as d (local_date, n, first_call)
  offset 0
),
turns as (
  select days.*, j, days.first_call + j as k, cardinality($4::bigint[]) as agent_count
  from days, generate_series(0, days.n - 1) as j
  offset 0
),
placed as (
  select turns.*,
         ${position("j", "k")} as x,
         ${position("j + agent_count", "k + agent_count")} as next_x
  from turns
  offset 0
),
timed as (
  select placed.*,
         floor(${fraction("x")} * day_seconds)::int as at_second,
         case when j + agent_count < n
              then floor(${fraction("next_x")} * day_seconds)::int
              else day_seconds end as next_turn_second,
         ${outbound} as is_outbound
  from placed
  offset 0
),
drawn as (
  select timed.*,
         ($8::float8[])[least(23, at_second * 24 / day_seconds) + 1] as load,
         -ln(${open(2)}) * 300 as patience,
         -ln(${open(3)}) as wait_draw,
         30 - ln(${open(4)}) * 150 as talk_draw,
         case when ${draw(5)} < 0.3 then -ln(${open(6)}) * 40 else 0 end as hold_draw,
         10 - ln(${open(7)}) * 30 as wrap_draw,
         ${draw(8)} as outcome_draw,
         ${draw(9)} as pick_draw,
         hashint8extended(k, ${seed + 10n}) & 2147483647 as number_draw
  from timed
  offset 0
),
inbound as (
  select drawn.*,
         wait_draw * (10 + 70 * load) as needed_wait,
         next_turn_second - at_second - 1 as budget
  from drawn
  offset 0
),
shaped as (
  select inbound.*,
         not is_outbound and patience < needed_wait as abandoned,
         least(talk_draw, greatest(1, floor(talk_draw * least(1, budget / (talk_draw + hold_draw + wrap_draw)))))::int as talk,
         hold_draw::int as hold_raw
  from inbound
  offset 0
),
fitted as (
  select shaped.*,
         greatest(0, least(hold_raw, floor(hold_draw * least(1, budget / (talk_draw + hold_draw + wrap_draw)))::int, budget - talk - 1))::int as hold
  from shaped
  offset 0
),
calls_out as (
  select fitted.*,
         greatest(1, least(wrap_draw::int, budget - talk - hold))::int as wrap,
         day_start + make_interval(secs => at_second) as pivot,
         case when outcome_draw < 0.45 then 'completed' when outcome_draw < 0.60 then 'voicemail'
              when outcome_draw < 0.80 then 'no-answer' when outcome_draw < 0.92 then 'busy'
              else 'failed' end as dial_outcome,
         3 + floor(${draw(11)} * 20)::int as ring,
         ($4::bigint[])[j % agent_count + 1] as turn_agent
  from fitted
  offset 0
),
inserted as (
  insert into calls (sid, public_id, direction, from_number, to_number, status, status_rank,
                     call_queue_id, agent_id, campaign_id, answered_by, created_at, dialed_at,
                     enqueued_at, answered_at, ended_at, duration_seconds, updated_at, queue_sid,
                     queue_result, wait_seconds, talk_seconds, hold_seconds, wrap_up_seconds,
                     outcome)
  select 'CA' || $9 || lpad(to_hex(k), 16, '0'),
         ($9 || lpad(to_hex(k), 16, '0'))::uuid,
         direction, from_number, to_number, status, ${completed}, call_queue_id, agent_id,
         campaign_id, answered_by, created_at, dialed_at, enqueued_at, answered_at, ended_at,
         duration_seconds, ended_at, queue_sid, queue_result, wait_seconds, talk_seconds,
         hold_seconds, wrap_up_seconds, outcome
  from (
    select k,
           'inbound' as direction,
           '+1' || (2012000000 + number_draw % 7987999999)::text as from_number,
           '+1555010' || lpad(queue_index::text, 4, '0') as to_number,
           'completed' as status,
           ($5::bigint[])[queue_index] as call_queue_id,
           case when abandoned then null else turn_agent end as agent_id,
           null::bigint as campaign_id,
           null as answered_by,
           pivot - make_interval(secs => wait) as created_at,
           null::timestamptz as dialed_at,
           pivot - make_interval(secs => wait) as enqueued_at,
           case when abandoned then null else pivot end as answered_at,
           case when abandoned then pivot else pivot + make_interval(secs => talk + hold) end as ended_at,
           case when abandoned then wait else wait + talk + hold end as duration_seconds,
           'QU' || lpad(to_hex(($5::bigint[])[queue_index]), 32, '0') as queue_sid,
           case when abandoned then 'hangup' else 'bridged' end as queue_result,
           wait as wait_seconds,
           case when abandoned then null else talk end as talk_seconds,
           case when abandoned then 0 else hold end as hold_seconds,
           case when abandoned then null else wrap end as wrap_up_seconds,
           case when abandoned then 'abandoned' else 'completed' end as outcome
    from (select calls_out.*,
                 1 + floor(cardinality($5::bigint[]) * pick_draw ^ 1.6)::int as queue_index,
                 case when abandoned then floor(patience)::int else floor(needed_wait)::int end as wait
          from calls_out where not is_outbound) inbound_calls
    union all
    select k,
           'outbound-api',
           '+1555090' || lpad(campaign_index::text, 4, '0'),
           '+1' || (2012000000 + number_draw % 7987999999)::text,
           case when dial_outcome = 'voicemail' then 'completed' else dial_outcome end,
           null, null, ($6::bigint[])[campaign_index],
           case dial_outcome when 'completed' then 'human' when 'voicemail' then 'machine_end_beep' end,
           pivot, pivot, null,
           case when dial_outcome in ('completed', 'voicemail') then pivot + make_interval(secs => ring) end,
           pivot + make_interval(secs => case dial_outcome
             when 'completed' then ring + outbound_talk when 'voicemail' then ring + outbound_talk
             when 'no-answer' then 30 when 'busy' then 2 else 1 end),
           case when dial_outcome in ('completed', 'voicemail') then outbound_talk else 0 end,
           null, null, null,
           case when dial_outcome in ('completed', 'voicemail') then outbound_talk end,
           0, null, dial_outcome
    from (select calls_out.*,
                 1 + floor(cardinality($6::bigint[]) * pick_draw)::int as campaign_index,
                 case when dial_outcome = 'voicemail' then 15 + floor(outcome_draw * 100)::int % 30
                      else talk_draw::int end as outbound_talk
          from calls_out where is_outbound) outbound_calls
  ) generated
  returning id, agent_id, answered_at, talk_seconds, hold_seconds, wrap_up_seconds
),
events as (
  insert into agent_state_events (agent_id, state, started_at, call_id)
  select inserted.agent_id, phase.state, phase.started_at, phase.call_id
  from inserted,
       lateral (values
         ('busy', answered_at, id),
         ('wrap_up', answered_at + make_interval(secs => talk_seconds + hold_seconds), id),
         ('available', answered_at + make_interval(secs => talk_seconds + hold_seconds + wrap_up_seconds), null)
       ) phase (state, started_at, call_id)
  where inserted.agent_id is not null
  returning 1
)
select count(*) as events from events`;
}
