/**
 * The agent metrics (README, "Call-center metrics") over a range, per agent or per agent × local
 * day. Days the rollup `agent_days` holds are read from it; the rest of the range (partial days
 * at its edges, days not yet rolled up or rolled up before they ended) from calls and agent
 * state events, with the same statement the rollup is computed by.
 *
 * Rows exist for agents with handled calls or logged-in time in the range, ordered by day then
 * agent; without `byDay`, each agent of `agentIds` has a row even when idle.
 *
 * @example
 * const month = localMonthRange(2026, 3, "America/New_York");
 * const agents = await agentFigures(db, { range: month, timeZone: "America/New_York" });
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import {
  type AgentDayParts,
  type AgentDayPartsRow,
  agentDayPartsSql,
  toAgentDayParts,
} from "./agentDayParts.ts";
import { checkRange, checkTimeZone, type ReportRange } from "./period.ts";
import { heldPeriods, heldStarts, uncoveredRanges } from "./rollupPeriods.ts";

export interface AgentFiguresRow {
  agentId: number;
  agentName: string;
  /** Local day when grouped by day. */
  day: string | null;
  /** Answered calls the agent took. */
  handled: number;
  talkSeconds: number;
  holdSeconds: number;
  wrapUpSeconds: number;
  /** (talk + hold + wrap-up) ÷ handled */
  averageHandleTimeSeconds: number | null;
  availableSeconds: number;
  busySeconds: number;
  wrapUpStateSeconds: number;
  loggedInSeconds: number;
  /** handling ÷ (handling + available idle) */
  occupancy: number | null;
  /** handling ÷ logged-in time */
  utilization: number | null;
}

export interface AgentFiguresOptions {
  range: ReportRange;
  timeZone: string;
  byDay?: boolean;
  agentIds?: number[];
}

export async function agentFigures(
  db: Db,
  options: AgentFiguresOptions,
): Promise<AgentFiguresRow[]> {
  const { range, timeZone, agentIds } = options;
  checkRange(range);
  checkTimeZone(timeZone);
  const days = await agentDays(db, { range, timeZone, agentIds });

  const groups = new Map<string, { agentId: number; day: string | null; parts: AgentDayParts[] }>();
  for (const day of days) {
    const label = options.byDay ? day.localDay : null;
    const id = `${label ?? ""}|${day.agentId}`;
    const group = groups.get(id);
    if (group) group.parts.push(day);
    else groups.set(id, { agentId: day.agentId, day: label, parts: [day] });
  }
  if (!options.byDay) {
    for (const agentId of agentIds ?? []) {
      if (!groups.has(`|${agentId}`)) groups.set(`|${agentId}`, { agentId, day: null, parts: [] });
    }
  }
  const names = await agentNames(
    db,
    [...groups.values()].map((group) => group.agentId),
  );
  return [...groups.values()]
    .filter((group) => names.has(group.agentId))
    .sort((a, b) => (a.day ?? "").localeCompare(b.day ?? "") || a.agentId - b.agentId)
    .map(({ agentId, day, parts }) => ({
      agentId,
      agentName: names.get(agentId) ?? "",
      day,
      ...agentFiguresOf(parts),
    }));
}

/** Per agent × local day over `range`: rollup rows where held, calls and states elsewhere. */
async function agentDays(
  db: Db,
  options: { range: ReportRange; timeZone: string; agentIds?: number[] | undefined },
): Promise<AgentDayParts[]> {
  const { range, timeZone, agentIds } = options;
  const held = await heldPeriods(db, { rollup: "agent_day", range, timeZone });
  const fromRollup =
    held.length === 0
      ? []
      : await sql<AgentDayPartsRow>`
          select d.*, to_char(d.local_day, 'YYYY-MM-DD') as local_day_label
          from agent_days d
          where d.time_zone = ${timeZone}
            and d.day_start = any(${heldStarts(held)}::timestamptz[])
            ${agentIds ? sql`and d.agent_id = any(${agentIds}::bigint[])` : sql``}`
          .execute(db)
          .then((result) => result.rows);
  const fromEvents: AgentDayPartsRow[] = [];
  for (const gap of uncoveredRanges(range, held)) {
    const result = await agentDayPartsSql({ range: gap, timeZone, agentIds })
      .$castTo<AgentDayPartsRow>()
      .execute(db);
    fromEvents.push(...result.rows);
  }
  return [...fromRollup, ...fromEvents].map(toAgentDayParts);
}

export function agentFiguresOf(parts: AgentDayParts[]) {
  const sum = (pick: (day: AgentDayParts) => number) =>
    parts.reduce((total, day) => total + pick(day), 0);
  const handled = sum((day) => day.handled);
  const talkSeconds = sum((day) => day.talkSeconds);
  const holdSeconds = sum((day) => day.holdSeconds);
  const wrapUpSeconds = sum((day) => day.wrapUpSeconds);
  const availableSeconds = sum((day) => day.availableSeconds);
  const handlingSeconds = sum((day) => day.handlingSeconds);
  const loggedInSeconds = sum((day) => day.loggedInSeconds);
  const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  return {
    handled,
    talkSeconds,
    holdSeconds,
    wrapUpSeconds,
    averageHandleTimeSeconds: ratio(talkSeconds + holdSeconds + wrapUpSeconds, handled),
    availableSeconds,
    busySeconds: sum((day) => day.busySeconds),
    wrapUpStateSeconds: sum((day) => day.wrapUpStateSeconds),
    loggedInSeconds,
    occupancy: ratio(handlingSeconds, handlingSeconds + availableSeconds),
    utilization: ratio(handlingSeconds, loggedInSeconds),
  };
}

async function agentNames(db: Db, ids: number[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .selectFrom("agents")
    .select(["id", "name"])
    .where("id", "in", wanted)
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.name]));
}
