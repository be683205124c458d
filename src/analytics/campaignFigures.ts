/**
 * Outbound figures per campaign over a range (by the calls' report time,
 * coalesce(enqueued_at, created_at)): calls dialed, connected (answered by a person: outcome
 * `completed`), the connect rate connected ÷ dialed, and the count of each final outcome.
 * Calls placed outside any campaign are one row with a null campaign. Rows for campaigns with
 * calls in the range, campaigns in id order, the null campaign last.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { CallOutcome } from "../database/schema.ts";
import { callTimeWithin } from "./callQueueHourParts.ts";
import { checkRange, type ReportRange } from "./period.ts";

export const outboundOutcomes = [
  "completed",
  "busy",
  "no-answer",
  "failed",
  "voicemail",
] as const satisfies readonly CallOutcome[];

export type OutboundOutcome = (typeof outboundOutcomes)[number];

export interface CampaignFiguresRow {
  campaignId: number | null;
  campaignName: string | null;
  dialed: number;
  connected: number;
  connectRate: number | null;
  outcomes: Record<OutboundOutcome, number>;
}

export async function campaignFigures(
  db: Db,
  options: { range: ReportRange },
): Promise<CampaignFiguresRow[]> {
  checkRange(options.range);
  const rows = await sql<{
    campaign_id: number | null;
    campaign_name: string | null;
    dialed: number;
    completed: number;
    busy: number;
    no_answer: number;
    failed: number;
    voicemail: number;
  }>`
    select c.campaign_id, max(m.name) as campaign_name,
           count(*)::int as dialed,
           count(*) filter (where c.outcome = 'completed')::int as completed,
           count(*) filter (where c.outcome = 'busy')::int as busy,
           count(*) filter (where c.outcome = 'no-answer')::int as no_answer,
           count(*) filter (where c.outcome = 'failed')::int as failed,
           count(*) filter (where c.outcome = 'voicemail')::int as voicemail
    from calls c
    left join campaigns m on m.id = c.campaign_id
    where c.direction <> 'inbound' and (${callTimeWithin([options.range])})
    group by c.campaign_id
    order by c.campaign_id nulls last`.execute(db);
  return rows.rows.map((row) => ({
    campaignId: row.campaign_id === null ? null : Number(row.campaign_id),
    campaignName: row.campaign_name,
    dialed: row.dialed,
    connected: row.completed,
    connectRate: row.dialed === 0 ? null : row.completed / row.dialed,
    outcomes: {
      completed: row.completed,
      busy: row.busy,
      "no-answer": row.no_answer,
      failed: row.failed,
      voicemail: row.voicemail,
    },
  }));
}
