/**
 * A report's content as sections of rows — what its CSV and HTML renderings are both made from,
 * so they cannot disagree. Each row names what it is of (a local period, a call queue, an agent,
 * a campaign) and carries figures by their analytics name.
 */
import type { AgentFiguresRow } from "../analytics/agentFigures.ts";
import type { CampaignFiguresRow } from "../analytics/campaignFigures.ts";
import {
  type AgentFigureName,
  agentFigureKinds,
  callQueueFigureKinds,
  campaignFigureKinds,
  type FigureKind,
  recordingFigureKinds,
} from "./figureNames.ts";
import type { CallQueueRow, ReportContent } from "./reportContent.ts";

/** What a row is of; absent when the section does not group by it. */
export interface SectionRowKeys {
  period?: string | null;
  periodStart?: string | null;
  callQueueId?: number | null;
  callQueue?: string | null;
  agentId?: number | null;
  agent?: string | null;
  campaignId?: number | null;
  campaign?: string | null;
}

export type KeyName = "period" | "callQueue" | "agent" | "campaign";

export interface SectionRow {
  keys: SectionRowKeys;
  values: Record<string, number | null>;
}

export interface ReportSection {
  /** Machine name, the CSV's `section` column: `total`, `by_hour`, `by_call_queue`, … */
  name: string;
  title: string;
  /** What its rows are of, in column order. */
  keys: KeyName[];
  figures: Record<string, FigureKind>;
  rows: SectionRow[];
}

const periodTitles = { hour: "Per hour", day: "Per day", week: "Per week" } as const;

export function reportSections(content: ReportContent): ReportSection[] {
  if (content.reportType === "agent") {
    return [
      agentSection("agent_total", "Over the range", [], [content.total]),
      agentSection("agent_by_day", "Per day", ["period"], content.byDay),
    ];
  }
  return [
    {
      name: "total",
      title: "Inbound calls",
      keys: [],
      figures: callQueueFigureKinds,
      rows: [{ keys: {}, values: { ...content.inbound.total } }],
    },
    {
      name: "previous_total",
      title: `Inbound calls, ${content.previous.label}`,
      keys: [],
      figures: callQueueFigureKinds,
      rows: [{ keys: {}, values: { ...content.previous.total } }],
    },
    ...content.inbound.byPeriod.map((breakdown) =>
      callQueueSection(
        `by_${breakdown.by}`,
        periodTitles[breakdown.by],
        ["period"],
        breakdown.rows,
      ),
    ),
    callQueueSection("by_call_queue", "Per call queue", ["callQueue"], content.inbound.byCallQueue),
    agentSection("top_agents", "Top agents", ["agent"], content.topAgents),
    {
      name: "campaigns",
      title: "Outbound campaigns",
      keys: ["campaign"],
      figures: campaignFigureKinds,
      rows: content.campaigns.map(campaignRow),
    },
    {
      name: "recordings",
      title: "Recordings",
      keys: [],
      figures: recordingFigureKinds,
      rows: [{ keys: {}, values: { ...content.recordings } }],
    },
  ];
}

function callQueueSection(
  name: string,
  title: string,
  keys: KeyName[],
  rows: CallQueueRow[],
): ReportSection {
  return {
    name,
    title,
    keys,
    figures: callQueueFigureKinds,
    rows: rows.map((row) => {
      const values: Record<string, number | null> = {};
      for (const figure of Object.keys(
        callQueueFigureKinds,
      ) as (keyof typeof callQueueFigureKinds)[]) {
        values[figure] = row[figure];
      }
      return {
        keys: {
          ...(keys.includes("period") ? { period: row.period, periodStart: row.periodStart } : {}),
          ...(keys.includes("callQueue")
            ? { callQueueId: row.callQueueId, callQueue: row.callQueueName }
            : {}),
        },
        values,
      };
    }),
  };
}

function agentSection(
  name: string,
  title: string,
  keys: KeyName[],
  rows: AgentFiguresRow[],
): ReportSection {
  return {
    name,
    title,
    keys,
    figures: agentFigureKinds,
    rows: rows.map((row) => {
      const values: Record<string, number | null> = {};
      for (const figure of Object.keys(agentFigureKinds) as AgentFigureName[]) {
        values[figure] = row[figure];
      }
      return {
        keys: {
          ...(keys.includes("period") ? { period: row.day } : {}),
          ...(keys.includes("agent") ? { agentId: row.agentId, agent: row.agentName } : {}),
        },
        values,
      };
    }),
  };
}

function campaignRow(row: CampaignFiguresRow): SectionRow {
  const values: Record<string, number | null> = {
    dialed: row.dialed,
    connected: row.connected,
    connectRate: row.connectRate,
  };
  for (const [outcome, count] of Object.entries(row.outcomes))
    values[`outcomes.${outcome}`] = count;
  return { keys: { campaignId: row.campaignId, campaign: row.campaignName }, values };
}
