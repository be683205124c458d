/**
 * Outbound calls per campaign × local hour by outcome, computed from calls: one statement for
 * the rollup `campaign_hours` and for the reads of hours it does not hold. A call belongs to the
 * hour it was created in, coalesce(enqueued_at, created_at), like every call in the metrics.
 */
import { sql } from "kysely";
import { callTimeWithin, localHourStartSql } from "./callQueueHourParts.ts";
import type { ReportRange } from "./period.ts";

export interface CampaignHourPartsRow {
  campaign_id: number | null;
  dialed: number;
  completed: number;
  busy: number;
  no_answer: number;
  failed: number;
  voicemail: number;
}

/** The parts over `ranges` (non-empty): per campaign, and per hour (`hour_start`) when `byHour`. */
export function campaignHourPartsSql(options: {
  ranges: ReportRange[];
  timeZone: string;
  byHour: boolean;
}) {
  const at = sql`coalesce(c.enqueued_at, c.created_at)`;
  const hour = options.byHour ? sql`${localHourStartSql(at, options.timeZone)}` : sql`null`;
  return sql`
    select c.campaign_id, ${hour} as hour_start,
           count(*)::int as dialed,
           count(*) filter (where c.outcome = 'completed')::int as completed,
           count(*) filter (where c.outcome = 'busy')::int as busy,
           count(*) filter (where c.outcome = 'no-answer')::int as no_answer,
           count(*) filter (where c.outcome = 'failed')::int as failed,
           count(*) filter (where c.outcome = 'voicemail')::int as voicemail
    from calls c
    where c.direction <> 'inbound' and (${callTimeWithin(options.ranges)})
    group by 1, 2`;
}
