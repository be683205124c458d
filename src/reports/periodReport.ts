/**
 * The content of the daily, weekly and monthly reports, from the analytics (src/analytics):
 * inbound figures over the period, per local hour (daily), day (weekly, monthly) and week
 * (monthly), per call queue; the period before it for comparison; the agents who handled the
 * most calls; outbound campaigns; recordings stored and transcribed.
 */
import { agentFigures } from "../analytics/agentFigures.ts";
import {
  type CallQueueFiguresRow,
  callQueueFigures,
  callQueueFiguresByEach,
} from "../analytics/callQueueFigures.ts";
import { campaignFigures } from "../analytics/campaignFigures.ts";
import {
  addDays,
  localDayRange,
  localMonthRange,
  localWeekRange,
  type ReportRange,
} from "../analytics/period.ts";
import { recordingFigures } from "../analytics/recordingFigures.ts";
import type { MetricThresholds } from "../analytics/thresholds.ts";
import type { Db } from "../database/pool.ts";
import { callQueueFiguresOf, noCallQueueFigures } from "./figureNames.ts";
import {
  type ComparedFigure,
  comparedFigures,
  type FigureChange,
  type PeriodBreakdown,
  type PeriodReportContent,
  storedCallQueueRow,
  storedRange,
} from "./reportContent.ts";
import type { ReportParameters } from "./reportParameters.ts";

/** How many agents "top agents" lists. */
export const TOP_AGENTS = 10;

type PeriodParameters = Extract<ReportParameters, { report_type: "daily" | "weekly" | "monthly" }>;

interface PeriodPlan {
  title: string;
  range: ReportRange;
  previous: { label: string; range: ReportRange };
  breakdowns: PeriodBreakdown["by"][];
}

const monthNames = new Intl.DateTimeFormat("en", { month: "long", timeZone: "UTC" });

function monthLabel(year: number, month: number): string {
  return `${monthNames.format(new Date(Date.UTC(2000, month - 1, 1)))} ${year}`;
}

/** The local periods a report covers: its own, the one before, and how it is broken down. */
export function periodPlan(parameters: PeriodParameters): PeriodPlan {
  const timeZone = parameters.time_zone;
  switch (parameters.report_type) {
    case "daily": {
      const previous = addDays(parameters.date_str, -1);
      return {
        title: `Daily report — ${parameters.date_str}`,
        range: localDayRange(parameters.date_str, timeZone),
        previous: { label: previous, range: localDayRange(previous, timeZone) },
        breakdowns: ["hour"],
      };
    }
    case "weekly": {
      const previous = addDays(parameters.week_start_str, -7);
      return {
        title: `Weekly report — week of ${parameters.week_start_str}`,
        range: localWeekRange(parameters.week_start_str, timeZone),
        previous: { label: `week of ${previous}`, range: localWeekRange(previous, timeZone) },
        breakdowns: ["day"],
      };
    }
    case "monthly": {
      const { year, month } = parameters;
      const previous = month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
      return {
        title: `Monthly report — ${monthLabel(year, month)}`,
        range: localMonthRange(year, month, timeZone),
        previous: {
          label: monthLabel(previous.year, previous.month),
          range: localMonthRange(previous.year, previous.month, timeZone),
        },
        breakdowns: ["day", "week"],
      };
    }
  }
}

export async function buildPeriodReport(
  db: Db,
  parameters: PeriodParameters,
  thresholds?: MetricThresholds,
): Promise<PeriodReportContent> {
  const timeZone = parameters.time_zone;
  const plan = periodPlan(parameters);
  const { range } = plan;
  const options = { timeZone, ...(thresholds ? { thresholds } : {}) };
  const [current, previousTotal, agents, campaigns, recordings] = await Promise.all([
    // The total, each breakdown and the call queues from one read of the period's hours.
    callQueueFiguresByEach(db, {
      ...options,
      range,
      by: [{}, { callQueue: true }, ...plan.breakdowns.map((period) => ({ period }))],
    }),
    callQueueFigures(db, { ...options, range: plan.previous.range, by: {} }).then(totalOf),
    agentFigures(db, { range, timeZone }),
    campaignFigures(db, { range, timeZone }),
    recordingFigures(db, { range }),
  ]);
  const [totalRows = [], byCallQueue = [], ...byPeriodRows] = current;
  const total = totalOf(totalRows);
  const byPeriod = plan.breakdowns.map((by, index) => ({
    by,
    rows: (byPeriodRows[index] ?? []).map(storedCallQueueRow),
  }));
  return {
    reportType: parameters.report_type,
    title: plan.title,
    timeZone,
    parameters,
    range: storedRange(range),
    inbound: { total, byPeriod, byCallQueue: byCallQueue.map(storedCallQueueRow) },
    previous: {
      label: plan.previous.label,
      range: storedRange(plan.previous.range),
      total: previousTotal,
    },
    comparison: compare(total, previousTotal),
    topAgents: [...agents]
      .sort(
        (a, b) => b.handled - a.handled || b.talkSeconds - a.talkSeconds || a.agentId - b.agentId,
      )
      .slice(0, TOP_AGENTS),
    campaigns,
    recordings,
  };
}

function totalOf(rows: CallQueueFiguresRow[]) {
  const [row] = rows;
  return row ? callQueueFiguresOf(row) : noCallQueueFigures();
}

function compare(
  current: PeriodReportContent["inbound"]["total"],
  previous: PeriodReportContent["inbound"]["total"],
): Record<ComparedFigure, FigureChange> {
  const comparison = {} as Record<ComparedFigure, FigureChange>;
  for (const name of comparedFigures) {
    const now = current[name];
    const before = previous[name];
    comparison[name] = {
      current: now,
      previous: before,
      change: now === null || before === null ? null : now - before,
    };
  }
  return comparison;
}
