/**
 * The additive parts of the inbound metrics per call queue × local hour, computed from calls.
 * One statement serves both the rollup (src/analytics/refreshRollups.ts inserts it into
 * `call_queue_hours`) and the reads of periods the rollup does not hold, so the two never differ.
 *
 * A call belongs to the hour it entered the call center: coalesce(enqueued_at, created_at).
 * Offered: inbound calls into a call queue. Answered: an agent answered (or the call queue says
 * `bridged`). Abandoned: the caller hung up while waiting; a wait under the short-abandon
 * threshold makes it a short abandon instead. Wait: Twilio's QueueTime, else the time from
 * entering the call queue to the answer or the end.
 */
import { type RawBuilder, sql } from "kysely";
import type { ReportRange } from "./period.ts";
import type { MetricThresholds } from "./thresholds.ts";

/** What `call_queue_hours` holds for one call queue and hour, with the hour's local label. */
export interface CallQueueHourParts {
  callQueueId: number;
  hourStart: Date;
  /** Local start of the hour, `2026-03-08T03:00`. */
  localHour: string;
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  answeredWithinThreshold: number;
  answerWaitSeconds: number;
  longestWaitSeconds: number | null;
  talkSeconds: number;
  holdSeconds: number;
  wrapUpSeconds: number;
}

/** SQL: the instant the local hour of `instant` starts in `timeZone`. */
export function localHourStartSql(instant: RawBuilder<unknown>, timeZone: string) {
  return sql`(${instant} - ((${instant} at time zone ${timeZone})
    - date_trunc('hour', ${instant} at time zone ${timeZone})))`;
}

/** The condition "the call's report time is within one of `ranges`" (index calls_report_time). */
export function callTimeWithin(ranges: ReportRange[], alias = "c") {
  const at = sql`coalesce(${sql.ref(`${alias}.enqueued_at`)}, ${sql.ref(`${alias}.created_at`)})`;
  return sql.join(
    ranges.map((range) => sql`(${at} >= ${range.from} and ${at} < ${range.to})`),
    sql` or `,
  );
}

/**
 * Select statement of the parts over `ranges` (non-empty), columns named as `call_queue_hours`'s
 * but for `time_zone`, plus `local_hour_label`.
 */
export function callQueueHourPartsSql(options: {
  ranges: ReportRange[];
  timeZone: string;
  thresholds: MetricThresholds;
  callQueueIds?: number[] | undefined;
}) {
  const { timeZone, thresholds } = options;
  const at = sql`coalesce(c.enqueued_at, c.created_at)`;
  const byCallQueue = options.callQueueIds
    ? sql`and c.call_queue_id = any(${options.callQueueIds}::bigint[])`
    : sql``;
  return sql`
    select call_queue_id, hour_start, local_hour,
           to_char(local_hour, 'YYYY-MM-DD"T"HH24:MI') as local_hour_label,
           count(*)::int as offered,
           count(*) filter (where answered)::int as answered,
           count(*) filter (where abandoned and (wait < ${thresholds.shortAbandonSeconds}) is not true)::int
             as abandoned,
           count(*) filter (where abandoned and wait < ${thresholds.shortAbandonSeconds})::int
             as short_abandoned,
           count(*) filter (where answered and wait <= threshold)::int as answered_within_threshold,
           coalesce(sum(wait) filter (where answered), 0)::bigint as answer_wait_seconds,
           max(wait) as longest_wait_seconds,
           coalesce(sum(talk_seconds) filter (where answered), 0)::bigint as talk_seconds,
           coalesce(sum(hold_seconds) filter (where answered), 0)::bigint as hold_seconds,
           coalesce(sum(wrap_up_seconds) filter (where answered), 0)::bigint as wrap_up_seconds
    from (
      select c.call_queue_id,
             ${localHourStartSql(at, timeZone)} as hour_start,
             date_trunc('hour', ${at} at time zone ${timeZone}) as local_hour,
             c.answered_at is not null or c.queue_result = 'bridged' as answered,
             c.outcome = 'abandoned' as abandoned,
             coalesce(c.wait_seconds, greatest(0, floor(extract(epoch from
               coalesce(c.answered_at, c.ended_at) - c.enqueued_at)))::int) as wait,
             coalesce(q.service_level_seconds, ${thresholds.serviceLevelSeconds}::int) as threshold,
             c.talk_seconds, c.hold_seconds, c.wrap_up_seconds
      from calls c
      join call_queues q on q.id = c.call_queue_id
      where c.direction = 'inbound' and (${callTimeWithin(options.ranges)}) ${byCallQueue}
    ) inbound
    group by call_queue_id, hour_start, local_hour`;
}

interface PartsRow {
  call_queue_id: number;
  hour_start: Date;
  local_hour_label: string;
  offered: number;
  answered: number;
  abandoned: number;
  short_abandoned: number;
  answered_within_threshold: number;
  answer_wait_seconds: number;
  longest_wait_seconds: number | null;
  talk_seconds: number;
  hold_seconds: number;
  wrap_up_seconds: number;
}

export function toCallQueueHourParts(row: PartsRow): CallQueueHourParts {
  return {
    callQueueId: Number(row.call_queue_id),
    hourStart: row.hour_start,
    localHour: row.local_hour_label,
    offered: row.offered,
    answered: row.answered,
    abandoned: row.abandoned,
    shortAbandoned: row.short_abandoned,
    answeredWithinThreshold: row.answered_within_threshold,
    answerWaitSeconds: Number(row.answer_wait_seconds),
    longestWaitSeconds: row.longest_wait_seconds,
    talkSeconds: Number(row.talk_seconds),
    holdSeconds: Number(row.hold_seconds),
    wrapUpSeconds: Number(row.wrap_up_seconds),
  };
}

export type { PartsRow as CallQueueHourPartsRow };
