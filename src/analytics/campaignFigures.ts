/**
 * Outbound figures per campaign over a range (by the calls' report time,
 * coalesce(enqueued_at, created_at)): calls dialed, connected (answered by a person: outcome
 * `completed`), the connect rate connected ÷ dialed, and the count of each final outcome.
 * Calls placed outside any campaign are one row with a null campaign. Rows for campaigns with
 * calls in the range, campaigns in id order, the null campaign last.
 *
 * Hours held by the rollup `campaign_hours` are read from it, the rest from calls. The figures
 * have no local grouping, so any time zone's held hours serve: `timeZone` when given, else the
 * time zone whose rollup holds most of the range.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { CallOutcome } from "../database/schema.ts";
import { type CampaignHourPartsRow, campaignHourPartsSql } from "./campaignHourParts.ts";
import { checkRange, checkTimeZone, type ReportRange } from "./period.ts";
import { heldPeriods, heldStarts, uncoveredRanges } from "./rollupPeriods.ts";

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
  options: { range: ReportRange; timeZone?: string },
): Promise<CampaignFiguresRow[]> {
  const { range } = options;
  checkRange(range);
  if (options.timeZone !== undefined) checkTimeZone(options.timeZone);
  const timeZone = options.timeZone ?? (await mostHeldTimeZone(db, range));
  const held = timeZone ? await heldPeriods(db, { rollup: "hour", range, timeZone }) : [];
  const fromRollup =
    held.length === 0
      ? []
      : await sql<CampaignHourPartsRow>`
          select h.campaign_id, sum(h.dialed)::int as dialed, sum(h.completed)::int as completed,
                 sum(h.busy)::int as busy, sum(h.no_answer)::int as no_answer,
                 sum(h.failed)::int as failed, sum(h.voicemail)::int as voicemail
          from campaign_hours h
          where h.time_zone = ${timeZone}
            and h.hour_start = any(${heldStarts(held)}::timestamptz[])
          group by h.campaign_id`
          .execute(db)
          .then((result) => result.rows);
  const gaps = uncoveredRanges(range, held);
  const fromCalls =
    gaps.length === 0
      ? []
      : await campaignHourPartsSql({ ranges: gaps, timeZone: timeZone ?? "UTC", byHour: false })
          .$castTo<CampaignHourPartsRow>()
          .execute(db)
          .then((result) => result.rows);

  const totals = new Map<number | null, CampaignFiguresRow>();
  for (const part of [...fromRollup, ...fromCalls]) {
    const campaignId = part.campaign_id === null ? null : Number(part.campaign_id);
    let row = totals.get(campaignId);
    if (!row) {
      row = {
        campaignId,
        campaignName: null,
        dialed: 0,
        connected: 0,
        connectRate: null,
        outcomes: { completed: 0, busy: 0, "no-answer": 0, failed: 0, voicemail: 0 },
      };
      totals.set(campaignId, row);
    }
    row.dialed += part.dialed;
    row.outcomes.completed += part.completed;
    row.outcomes.busy += part.busy;
    row.outcomes["no-answer"] += part.no_answer;
    row.outcomes.failed += part.failed;
    row.outcomes.voicemail += part.voicemail;
  }
  const names = await campaignNames(db, [...totals.keys()]);
  return [...totals.values()]
    .sort(
      (a, b) =>
        (a.campaignId ?? Number.MAX_SAFE_INTEGER) - (b.campaignId ?? Number.MAX_SAFE_INTEGER),
    )
    .map((row) => ({
      ...row,
      campaignName: row.campaignId === null ? null : (names.get(row.campaignId) ?? null),
      connected: row.outcomes.completed,
      connectRate: row.dialed === 0 ? null : row.outcomes.completed / row.dialed,
    }));
}

async function mostHeldTimeZone(db: Db, range: ReportRange): Promise<string | undefined> {
  const row = await sql<{ time_zone: string }>`
    select time_zone from rollup_periods
    where rollup = 'hour' and period_start >= ${range.from} and period_end <= ${range.to}
      and refreshed_at >= period_end
    group by time_zone order by count(*) desc, time_zone limit 1`.execute(db);
  return row.rows[0]?.time_zone;
}

async function campaignNames(db: Db, ids: (number | null)[]): Promise<Map<number, string | null>> {
  const wanted = ids.filter((id): id is number => id !== null);
  if (wanted.length === 0) return new Map();
  const rows = await db
    .selectFrom("campaigns")
    .select(["id", "name"])
    .where("id", "in", wanted)
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.name]));
}
