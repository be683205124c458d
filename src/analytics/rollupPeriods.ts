/**
 * Which periods a rollup holds (`rollup_periods`). A period counts as held when it was computed
 * after it ended, in the same time zone and, for call-queue hours, with the same thresholds;
 * anything else in a requested range is read from calls (`uncoveredRanges`).
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { ReportRange } from "./period.ts";
import type { MetricThresholds } from "./thresholds.ts";

export type RollupName = "hour" | "agent_day";

/** The held periods of `rollup` that lie wholly within `range`, in order. */
export async function heldPeriods(
  db: Db,
  options: {
    rollup: RollupName;
    range: ReportRange;
    timeZone: string;
    thresholds?: MetricThresholds | undefined;
  },
): Promise<ReportRange[]> {
  const { rollup, range, timeZone, thresholds } = options;
  const sameThresholds = thresholds
    ? sql`and short_abandon_seconds = ${thresholds.shortAbandonSeconds}
          and service_level_seconds = ${thresholds.serviceLevelSeconds}`
    : sql``;
  const rows = await sql<{ period_start: Date; period_end: Date }>`
    select period_start, period_end from rollup_periods
    where rollup = ${rollup} and time_zone = ${timeZone}
      and period_start >= ${range.from} and period_end <= ${range.to}
      and refreshed_at >= period_end ${sameThresholds}
    order by period_start`.execute(db);
  return rows.rows.map((row) => ({ from: row.period_start, to: row.period_end }));
}

/**
 * The starts of `held`, to read the rollup's rows by its primary key. Reading by these rather
 * than joining `rollup_periods` again keeps the rows to exactly the periods `uncoveredRanges`
 * leaves out, and keeps the plan an index scan: the join, planned without statistics on
 * freshly filled rollups, became a nested loop over every period per row (seconds a month).
 */
export function heldStarts(held: ReportRange[]): Date[] {
  return held.map((period) => period.from);
}

/** The parts of `range` that none of `held` (ordered, non-overlapping) covers. */
export function uncoveredRanges(range: ReportRange, held: ReportRange[]): ReportRange[] {
  const gaps: ReportRange[] = [];
  let cursor = range.from.getTime();
  for (const period of held) {
    if (period.from.getTime() > cursor) {
      gaps.push({ from: new Date(cursor), to: period.from });
    }
    cursor = Math.max(cursor, period.to.getTime());
  }
  if (cursor < range.to.getTime()) gaps.push({ from: new Date(cursor), to: range.to });
  return gaps;
}
