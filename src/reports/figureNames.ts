/**
 * The names of the analytics' figures in the order reports show them, and how each is written
 * (a count, a rate 0..1, seconds). The CSV's `metric` column and the HTML's columns use them.
 */
import type { AgentFiguresRow } from "../analytics/agentFigures.ts";
import type { CallQueueFigures } from "../analytics/callQueueFigures.ts";

export type FigureKind = "count" | "rate" | "seconds";

export const callQueueFigureKinds = {
  offered: "count",
  answered: "count",
  abandoned: "count",
  shortAbandoned: "count",
  abandonmentRate: "rate",
  serviceLevel: "rate",
  averageSpeedOfAnswerSeconds: "seconds",
  longestWaitSeconds: "seconds",
  averageHandleTimeSeconds: "seconds",
  talkSeconds: "seconds",
  holdSeconds: "seconds",
  wrapUpSeconds: "seconds",
} as const satisfies Record<keyof CallQueueFigures, FigureKind>;

export type AgentFigureName = Exclude<keyof AgentFiguresRow, "agentId" | "agentName" | "day">;

export const agentFigureKinds = {
  handled: "count",
  talkSeconds: "seconds",
  holdSeconds: "seconds",
  wrapUpSeconds: "seconds",
  averageHandleTimeSeconds: "seconds",
  availableSeconds: "seconds",
  busySeconds: "seconds",
  wrapUpStateSeconds: "seconds",
  loggedInSeconds: "seconds",
  occupancy: "rate",
  utilization: "rate",
} as const satisfies Record<AgentFigureName, FigureKind>;

export const campaignFigureKinds = {
  dialed: "count",
  connected: "count",
  connectRate: "rate",
  "outcomes.completed": "count",
  "outcomes.busy": "count",
  "outcomes.no-answer": "count",
  "outcomes.failed": "count",
  "outcomes.voicemail": "count",
} as const satisfies Record<string, FigureKind>;

export const recordingFigureKinds = {
  stored: "count",
  transcribed: "count",
} as const satisfies Record<string, FigureKind>;

/** The inbound figures alone, out of a row that also says what it groups. */
export function callQueueFiguresOf(row: CallQueueFigures): CallQueueFigures {
  const figures = {} as Record<keyof CallQueueFigures, number | null>;
  for (const name of Object.keys(callQueueFigureKinds) as (keyof CallQueueFigures)[]) {
    figures[name] = row[name];
  }
  return figures as CallQueueFigures;
}

/** The figures of a period without inbound calls. */
export function noCallQueueFigures(): CallQueueFigures {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    shortAbandoned: 0,
    abandonmentRate: null,
    serviceLevel: null,
    averageSpeedOfAnswerSeconds: null,
    longestWaitSeconds: null,
    averageHandleTimeSeconds: null,
    talkSeconds: 0,
    holdSeconds: 0,
    wrapUpSeconds: 0,
  };
}

/** The figures of an agent without activity in the range. */
export function noAgentFigures(agent: { id: number; name: string }): AgentFiguresRow {
  return {
    agentId: agent.id,
    agentName: agent.name,
    day: null,
    handled: 0,
    talkSeconds: 0,
    holdSeconds: 0,
    wrapUpSeconds: 0,
    averageHandleTimeSeconds: null,
    availableSeconds: 0,
    busySeconds: 0,
    wrapUpStateSeconds: 0,
    loggedInSeconds: 0,
    occupancy: null,
    utilization: null,
  };
}
