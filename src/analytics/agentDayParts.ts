/**
 * The additive parts of the agent metrics per agent × local day, computed from calls and
 * agent state events. One statement serves both the rollup `agent_days` and the reads of days
 * it does not hold.
 *
 * Handled calls are the answered calls the agent took, on the local day they entered the call
 * center. State time: each event of `agent_state_events` holds until the agent's next event
 * (the latest one until now), clipped to the day and to the requested range. Logged in: any
 * state but offline. Handling: busy or wrap-up for a call (busy without a call is time away).
 */
import { sql } from "kysely";
import type { ReportRange } from "./period.ts";

export interface AgentDayParts {
  agentId: number;
  /** Local day, `2026-03-08`. */
  localDay: string;
  dayStart: Date;
  handled: number;
  talkSeconds: number;
  holdSeconds: number;
  wrapUpSeconds: number;
  availableSeconds: number;
  busySeconds: number;
  wrapUpStateSeconds: number;
  handlingSeconds: number;
  loggedInSeconds: number;
}

export interface AgentDayPartsRow {
  agent_id: number;
  day_start: Date;
  local_day_label: string;
  handled: number;
  talk_seconds: number;
  hold_seconds: number;
  wrap_up_seconds: number;
  available_seconds: number;
  busy_seconds: number;
  wrap_up_state_seconds: number;
  handling_seconds: number;
  logged_in_seconds: number;
}

/**
 * Select statement of the parts over `range`, columns named as `agent_days`'s but for
 * `time_zone`, plus `local_day_label`. A day partly outside `range` counts only its part within.
 */
export function agentDayPartsSql(options: {
  range: ReportRange;
  timeZone: string;
  agentIds?: number[] | undefined;
}) {
  const { range, timeZone } = options;
  const from = sql`${range.from}::timestamptz`;
  const to = sql`${range.to}::timestamptz`;
  const agents = options.agentIds
    ? sql`select id from agents where id = any(${options.agentIds}::bigint[])`
    : sql`select id from agents`;
  const byAgent = options.agentIds
    ? sql`and c.agent_id = any(${options.agentIds}::bigint[])`
    : sql``;
  const at = sql`coalesce(c.enqueued_at, c.created_at)`;
  return sql`
    with days as (
      select d::date as local_day,
             d::timestamp at time zone ${timeZone} as day_start,
             greatest(d::timestamp at time zone ${timeZone}, ${from}) as day_from,
             least((d::date + 1)::timestamp at time zone ${timeZone}, ${to}) as day_to
      from generate_series((${from} at time zone ${timeZone})::date,
                           ((${to} - interval '1 microsecond') at time zone ${timeZone})::date,
                           interval '1 day') d
    ),
    agent_ids as (${agents}),
    events as (
      select e.agent_id, e.state, e.call_id, e.started_at
      from agent_ids a cross join lateral (
        select * from agent_state_events
        where agent_id = a.id and started_at >= ${from} and started_at < ${to}) e
      union all
      select e.agent_id, e.state, e.call_id, e.started_at
      from agent_ids a cross join lateral (
        select * from agent_state_events where agent_id = a.id and started_at < ${from}
        order by started_at desc limit 1) e
      union all
      select e.agent_id, e.state, e.call_id, e.started_at
      from agent_ids a cross join lateral (
        select * from agent_state_events where agent_id = a.id and started_at >= ${to}
        order by started_at limit 1) e
    ),
    spans as (
      select agent_id, state, call_id, started_at,
             coalesce(lead(started_at) over (partition by agent_id order by started_at),
                      greatest(started_at, now())) as ended_at
      from events
    ),
    states as (
      select s.agent_id, d.local_day, d.day_start,
             coalesce(sum(seconds) filter (where state = 'available'), 0) as available_seconds,
             coalesce(sum(seconds) filter (where state = 'busy'), 0) as busy_seconds,
             coalesce(sum(seconds) filter (where state = 'wrap_up'), 0) as wrap_up_state_seconds,
             coalesce(sum(seconds) filter (where state in ('busy', 'wrap_up') and call_id is not null), 0)
               as handling_seconds,
             coalesce(sum(seconds) filter (where state <> 'offline'), 0) as logged_in_seconds
      from spans s
      join days d on s.started_at < d.day_to and s.ended_at > d.day_from
      cross join lateral (select extract(epoch from
        least(s.ended_at, d.day_to) - greatest(s.started_at, d.day_from))::float8 as seconds) clipped
      group by s.agent_id, d.local_day, d.day_start
    ),
    handled as (
      select c.agent_id, (${at} at time zone ${timeZone})::date as local_day,
             count(*)::int as handled,
             coalesce(sum(c.talk_seconds), 0)::bigint as talk_seconds,
             coalesce(sum(c.hold_seconds), 0)::bigint as hold_seconds,
             coalesce(sum(c.wrap_up_seconds), 0)::bigint as wrap_up_seconds
      from calls c
      where ${at} >= ${from} and ${at} < ${to} and c.agent_id is not null
        and (c.answered_at is not null or c.queue_result = 'bridged') ${byAgent}
      group by 1, 2
    )
    select coalesce(s.agent_id, h.agent_id) as agent_id,
           d.day_start, to_char(d.local_day, 'YYYY-MM-DD') as local_day_label,
           d.local_day,
           coalesce(h.handled, 0) as handled,
           coalesce(h.talk_seconds, 0)::bigint as talk_seconds,
           coalesce(h.hold_seconds, 0)::bigint as hold_seconds,
           coalesce(h.wrap_up_seconds, 0)::bigint as wrap_up_seconds,
           coalesce(s.available_seconds, 0) as available_seconds,
           coalesce(s.busy_seconds, 0) as busy_seconds,
           coalesce(s.wrap_up_state_seconds, 0) as wrap_up_state_seconds,
           coalesce(s.handling_seconds, 0) as handling_seconds,
           coalesce(s.logged_in_seconds, 0) as logged_in_seconds
    from states s
    full join handled h on h.agent_id = s.agent_id and h.local_day = s.local_day
    join days d on d.local_day = coalesce(s.local_day, h.local_day)
    where coalesce(h.handled, 0) > 0 or coalesce(s.logged_in_seconds, 0) > 0`;
}

export function toAgentDayParts(row: AgentDayPartsRow): AgentDayParts {
  return {
    agentId: Number(row.agent_id),
    localDay: row.local_day_label,
    dayStart: row.day_start,
    handled: row.handled,
    talkSeconds: Number(row.talk_seconds),
    holdSeconds: Number(row.hold_seconds),
    wrapUpSeconds: Number(row.wrap_up_seconds),
    availableSeconds: Number(row.available_seconds),
    busySeconds: Number(row.busy_seconds),
    wrapUpStateSeconds: Number(row.wrap_up_state_seconds),
    handlingSeconds: Number(row.handling_seconds),
    loggedInSeconds: Number(row.logged_in_seconds),
  };
}
