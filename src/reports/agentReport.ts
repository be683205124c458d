/**
 * The content of an agent report (`calculate_agent_metrics`): one agent's figures over
 * [start, end), in total and per local day, from the analytics (src/analytics/agentFigures.ts).
 */
import { agentFigures } from "../analytics/agentFigures.ts";
import type { ReportRange } from "../analytics/period.ts";
import { agentFind } from "../calls/inboundCalls.ts";
import type { Db } from "../database/pool.ts";
import { PermanentError } from "../engine/errors.ts";
import { noAgentFigures } from "./figureNames.ts";
import type { AgentReportContent } from "./reportContent.ts";
import { storedRange } from "./reportContent.ts";
import type { ReportParameters } from "./reportParameters.ts";

type AgentParameters = Extract<ReportParameters, { report_type: "agent" }>;

/** The report's agent does not exist: retrying will not help. */
export class UnknownAgentError extends PermanentError {
  override name = "UnknownAgentError";
  readonly agentId: number;
  constructor(agentId: number) {
    super(`No agent ${agentId}`);
    this.agentId = agentId;
  }
}

export function agentReportRange(parameters: AgentParameters): ReportRange {
  return {
    from: new Date(parameters.date_range.start),
    to: new Date(parameters.date_range.end),
  };
}

export async function buildAgentReport(
  db: Db,
  parameters: AgentParameters,
): Promise<AgentReportContent> {
  const found = await agentFind(db, { agentId: parameters.agent_id });
  if (!found) throw new UnknownAgentError(parameters.agent_id);
  const agent = { id: found.id, name: found.name };
  const range = agentReportRange(parameters);
  const timeZone = parameters.time_zone;
  const agentIds = [agent.id];
  const [total, byDay] = await Promise.all([
    agentFigures(db, { range, timeZone, agentIds }),
    agentFigures(db, { range, timeZone, agentIds, byDay: true }),
  ]);
  return {
    reportType: "agent",
    title: `Agent report — ${agent.name}, ${parameters.date_range.start} to ${parameters.date_range.end}`,
    timeZone,
    parameters,
    range: storedRange(range),
    agent,
    total: total.find((row) => row.agentId === agent.id) ?? noAgentFigures(agent),
    byDay: byDay
      .filter((row) => row.agentId === agent.id)
      .sort((a, b) => ((a.day ?? "") < (b.day ?? "") ? -1 : 1)),
  };
}
