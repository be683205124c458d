/**
 * Recomputes the rollups touching a range: every call queue × local hour, campaign × local
 * hour and agent × local day that overlaps it, from calls and agent state events. Idempotent: each local day is
 * one short transaction that deletes the day's rows and inserts them afresh (a late call
 * updates its hour; running twice gives the same rows), under a lock on (time zone, day) so two
 * refreshes of one day take turns. The periods are recorded in `rollup_periods`; reads trust a
 * period only when it was refreshed after it ended (src/analytics/rollupPeriods.ts).
 *
 * @example
 * // the previous and the current local hour, as calculate_hourly_metrics does
 * await refreshRollups(db, { range: { from: hourAgo, to: now }, timeZone: "Europe/Paris" });
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Database } from "../database/schema.ts";
import { agentDayPartsSql } from "./agentDayParts.ts";
import { callQueueHourPartsSql } from "./callQueueHourParts.ts";
import { campaignHourPartsSql } from "./campaignHourParts.ts";
import {
  addDays,
  checkRange,
  checkTimeZone,
  localDateOf,
  localDayRange,
  localHourStart,
  type ReportRange,
} from "./period.ts";
import { type MetricThresholds, metricThresholdDefaults } from "./thresholds.ts";

const hourMs = 3_600_000;

export interface RefreshRollupsOptions {
  range: ReportRange;
  timeZone: string;
  /** Default: `metricThresholdDefaults`; the service passes its settings. */
  thresholds?: MetricThresholds;
  /** Only the hourly rollups (call queues and campaigns) or only agent days; default all. */
  only?: "hours" | "agentDays";
}

export async function refreshRollups(
  db: Db,
  options: RefreshRollupsOptions,
): Promise<{ callQueueHours: number; agentDays: number; campaignHours: number }> {
  const { range, timeZone } = options;
  checkRange(range);
  checkTimeZone(timeZone);
  const thresholds = options.thresholds ?? metricThresholdDefaults;
  const hoursFrom = localHourStart(range.from, timeZone);
  const hoursTo = new Date(
    localHourStart(new Date(range.to.getTime() - 1), timeZone).getTime() + hourMs,
  );
  const lastDay = localDateOf(new Date(range.to.getTime() - 1), timeZone);
  const totals = { callQueueHours: 0, agentDays: 0, campaignHours: 0 };
  for (let day = localDateOf(range.from, timeZone); day <= lastDay; day = addDays(day, 1)) {
    const dayRange = localDayRange(day, timeZone);
    const hours = {
      from: new Date(Math.max(hoursFrom.getTime(), dayRange.from.getTime())),
      to: new Date(Math.min(hoursTo.getTime(), dayRange.to.getTime())),
    };
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`switchboard.rollups:${timeZone}:${day}`}))`.execute(
        trx,
      );
      // A day's calls are sorted and grouped in memory rather than spilled to disk.
      await sql`set local work_mem = '64MB'`.execute(trx);
      if (options.only !== "agentDays" && hours.from < hours.to) {
        totals.callQueueHours += await refreshCallQueueHours(trx, hours, timeZone, thresholds);
        totals.campaignHours += await refreshCampaignHours(trx, hours, timeZone);
      }
      if (options.only !== "hours") {
        totals.agentDays += await refreshAgentDay(trx, dayRange, timeZone, thresholds);
      }
    });
  }
  return totals;
}

async function refreshCallQueueHours(
  trx: Transaction<Database>,
  hours: ReportRange,
  timeZone: string,
  thresholds: MetricThresholds,
): Promise<number> {
  await sql`
    delete from call_queue_hours
    where time_zone = ${timeZone} and hour_start >= ${hours.from} and hour_start < ${hours.to}`.execute(
    trx,
  );
  const parts = callQueueHourPartsSql({ ranges: [hours], timeZone, thresholds });
  const inserted = await sql`
    insert into call_queue_hours (time_zone, hour_start, call_queue_id, local_hour, offered,
      answered, abandoned, short_abandoned, answered_within_threshold, answer_wait_seconds,
      longest_wait_seconds, talk_seconds, hold_seconds, wrap_up_seconds)
    select ${timeZone}, hour_start, call_queue_id, local_hour, offered, answered, abandoned,
      short_abandoned, answered_within_threshold, answer_wait_seconds, longest_wait_seconds,
      talk_seconds, hold_seconds, wrap_up_seconds
    from (${parts}) parts`.execute(trx);
  await sql`
    insert into rollup_periods (rollup, time_zone, period_start, period_end,
      short_abandon_seconds, service_level_seconds, refreshed_at)
    select 'hour', ${timeZone}, hour, hour + interval '1 hour',
      ${thresholds.shortAbandonSeconds}, ${thresholds.serviceLevelSeconds}, now()
    from generate_series(${hours.from}::timestamptz, ${hours.to}::timestamptz - interval '1 hour',
                         interval '1 hour') hour
    on conflict (rollup, time_zone, period_start) do update set
      period_end = excluded.period_end,
      short_abandon_seconds = excluded.short_abandon_seconds,
      service_level_seconds = excluded.service_level_seconds,
      refreshed_at = excluded.refreshed_at`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}

async function refreshCampaignHours(
  trx: Transaction<Database>,
  hours: ReportRange,
  timeZone: string,
): Promise<number> {
  await sql`
    delete from campaign_hours
    where time_zone = ${timeZone} and hour_start >= ${hours.from} and hour_start < ${hours.to}`.execute(
    trx,
  );
  const parts = campaignHourPartsSql({ ranges: [hours], timeZone, byHour: true });
  const inserted = await sql`
    insert into campaign_hours (time_zone, hour_start, campaign_id, dialed, completed, busy,
      no_answer, failed, voicemail)
    select ${timeZone}, hour_start, campaign_id, dialed, completed, busy, no_answer, failed,
      voicemail
    from (${parts}) parts`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}

async function refreshAgentDay(
  trx: Transaction<Database>,
  day: ReportRange,
  timeZone: string,
  thresholds: MetricThresholds,
): Promise<number> {
  await sql`
    delete from agent_days where time_zone = ${timeZone} and day_start = ${day.from}`.execute(trx);
  const parts = agentDayPartsSql({ range: day, timeZone });
  const inserted = await sql`
    insert into agent_days (time_zone, day_start, agent_id, local_day, handled, talk_seconds,
      hold_seconds, wrap_up_seconds, available_seconds, busy_seconds, wrap_up_state_seconds,
      handling_seconds, logged_in_seconds)
    select ${timeZone}, day_start, agent_id, local_day, handled, talk_seconds, hold_seconds,
      wrap_up_seconds, available_seconds, busy_seconds, wrap_up_state_seconds, handling_seconds,
      logged_in_seconds
    from (${parts}) parts`.execute(trx);
  await sql`
    insert into rollup_periods (rollup, time_zone, period_start, period_end,
      short_abandon_seconds, service_level_seconds, refreshed_at)
    values ('agent_day', ${timeZone}, ${day.from}, ${day.to},
      ${thresholds.shortAbandonSeconds}, ${thresholds.serviceLevelSeconds}, now())
    on conflict (rollup, time_zone, period_start) do update set
      period_end = excluded.period_end,
      short_abandon_seconds = excluded.short_abandon_seconds,
      service_level_seconds = excluded.service_level_seconds,
      refreshed_at = excluded.refreshed_at`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}
