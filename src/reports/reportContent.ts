/**
 * What a stored report holds (`reports.content`, and its JSON rendering): the figures of
 * src/analytics, in the analytics' own names, with instants as ISO 8601 UTC text. Period
 * reports (daily, weekly, monthly) share one shape; the agent report has its own.
 */
import type { AgentFiguresRow } from "../analytics/agentFigures.ts";
import type { CallQueueFigures, CallQueueFiguresRow } from "../analytics/callQueueFigures.ts";
import type { CampaignFiguresRow } from "../analytics/campaignFigures.ts";
import type { ReportRange } from "../analytics/period.ts";
import type { ReportParameters } from "./reportParameters.ts";

/** A range as stored: ISO 8601 UTC instants, half-open [from, to). */
export interface StoredRange {
  from: string;
  to: string;
}

export type CallQueueRow = Omit<CallQueueFiguresRow, "periodStart"> & {
  periodStart: string | null;
};

/** One grouping of the inbound figures by local time. */
export interface PeriodBreakdown {
  by: "hour" | "day" | "week";
  rows: CallQueueRow[];
}

/** The inbound figures compared with the previous period. */
export const comparedFigures = [
  "offered",
  "answered",
  "abandoned",
  "shortAbandoned",
  "abandonmentRate",
  "serviceLevel",
  "averageSpeedOfAnswerSeconds",
  "longestWaitSeconds",
  "averageHandleTimeSeconds",
] as const satisfies (keyof CallQueueFigures)[];
export type ComparedFigure = (typeof comparedFigures)[number];

export interface FigureChange {
  current: number | null;
  previous: number | null;
  /** current − previous; null when either is. */
  change: number | null;
}

export interface PeriodReportContent {
  reportType: "daily" | "weekly" | "monthly";
  title: string;
  timeZone: string;
  parameters: ReportParameters;
  range: StoredRange;
  inbound: {
    total: CallQueueFigures;
    byPeriod: PeriodBreakdown[];
    byCallQueue: CallQueueRow[];
  };
  previous: { label: string; range: StoredRange; total: CallQueueFigures };
  comparison: Record<ComparedFigure, FigureChange>;
  /** The agents who handled the most calls, most first (at most TOP_AGENTS). */
  topAgents: AgentFiguresRow[];
  campaigns: CampaignFiguresRow[];
  recordings: { stored: number; transcribed: number };
}

export interface AgentReportContent {
  reportType: "agent";
  title: string;
  timeZone: string;
  parameters: ReportParameters;
  range: StoredRange;
  agent: { id: number; name: string };
  /** The agent over the whole range (`day` null). */
  total: AgentFiguresRow;
  /** The agent per local day of the range. */
  byDay: AgentFiguresRow[];
}

export type ReportContent = PeriodReportContent | AgentReportContent;

export function storedRange(range: ReportRange): StoredRange {
  return { from: range.from.toISOString(), to: range.to.toISOString() };
}

export function storedCallQueueRow(row: CallQueueFiguresRow): CallQueueRow {
  return { ...row, periodStart: row.periodStart ? row.periodStart.toISOString() : null };
}
