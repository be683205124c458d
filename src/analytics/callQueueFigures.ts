/**
 * The inbound call-center metrics (README, "Call-center metrics") over a range, grouped by local
 * hour, day or ISO week and/or by call queue. Hours the rollup `call_queue_hours` holds are read
 * from it; the rest of the range (partial hours at its edges, hours not yet rolled up or rolled
 * up before they ended) from calls, with the same statement the rollup is computed by.
 *
 * Rows exist for the groups that have calls, ordered by period then call queue; without any
 * grouping there is always exactly one row.
 *
 * @example
 * const range = localDayRange("2026-03-08", "America/New_York");
 * const hours = await callQueueFigures(db, {
 *   range, timeZone: "America/New_York", by: { period: "hour", callQueue: true },
 * });
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import {
  type CallQueueHourParts,
  type CallQueueHourPartsRow,
  callQueueHourPartsSql,
  toCallQueueHourParts,
} from "./callQueueHourParts.ts";
import {
  checkRange,
  checkTimeZone,
  isoWeekStart,
  localDateStart,
  type ReportRange,
} from "./period.ts";
import { heldPeriods, heldStarts, uncoveredRanges } from "./rollupPeriods.ts";
import { type MetricThresholds, metricThresholdDefaults } from "./thresholds.ts";

export interface CallQueueFigures {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  /** abandoned ÷ (offered − shortAbandoned) */
  abandonmentRate: number | null;
  /** answered within the threshold ÷ (offered − shortAbandoned) */
  serviceLevel: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  longestWaitSeconds: number | null;
  /** (talk + hold + wrap-up) ÷ answered */
  averageHandleTimeSeconds: number | null;
  talkSeconds: number;
  holdSeconds: number;
  wrapUpSeconds: number;
}

export interface CallQueueFiguresRow extends CallQueueFigures {
  /** Local label: hour `2026-03-08T03:00`, day `2026-03-08`, week (its Monday) `2026-03-02`. */
  period: string | null;
  /** The UTC instant the local period starts. */
  periodStart: Date | null;
  callQueueId: number | null;
  callQueueName: string | null;
}

export interface CallQueueFiguresOptions {
  range: ReportRange;
  timeZone: string;
  by: { period?: "hour" | "day" | "week"; callQueue?: boolean };
  callQueueIds?: number[];
  /** Default: `metricThresholdDefaults`; the service's settings are passed by its callers. */
  thresholds?: MetricThresholds;
}

export async function callQueueFigures(
  db: Db,
  options: CallQueueFiguresOptions,
): Promise<CallQueueFiguresRow[]> {
  const [rows] = await callQueueFiguresByEach(db, { ...options, by: [options.by] });
  return rows ?? [];
}

/**
 * The figures of one range under several groupings (e.g. a report's total, per day, per week
 * and per call queue) from a single read of its hours: one result per grouping, in order.
 */
export async function callQueueFiguresByEach(
  db: Db,
  options: Omit<CallQueueFiguresOptions, "by"> & { by: CallQueueFiguresOptions["by"][] },
): Promise<CallQueueFiguresRow[][]> {
  const { range, timeZone } = options;
  checkRange(range);
  checkTimeZone(timeZone);
  const thresholds = options.thresholds ?? metricThresholdDefaults;
  const hours = await callQueueHours(db, {
    range,
    timeZone,
    thresholds,
    callQueueIds: options.callQueueIds,
  });

  const starts = new Map<string, Date>();
  const startOf = (date: string) => {
    let start = starts.get(date);
    if (!start) {
      start = localDateStart(date, timeZone);
      starts.set(date, start);
    }
    return start;
  };
  const groupings = options.by.map((by) => {
    const groups = new Map<string, { key: GroupKey; parts: CallQueueHourParts[] }>();
    for (const hour of hours) {
      const key = groupKey(hour, by, startOf);
      const id = `${key.periodStart?.getTime() ?? ""}|${key.callQueueId ?? ""}`;
      const group = groups.get(id);
      if (group) group.parts.push(hour);
      else groups.set(id, { key, parts: [hour] });
    }
    if (!by.period && !by.callQueue && groups.size === 0) {
      groups.set("", { key: { period: null, periodStart: null, callQueueId: null }, parts: [] });
    }
    return [...groups.values()];
  });
  const names = await callQueueNames(
    db,
    groupings.flatMap((groups) => groups.map((group) => group.key.callQueueId)),
  );
  return groupings.map((groups) =>
    groups
      .sort(
        (a, b) =>
          (a.key.periodStart?.getTime() ?? 0) - (b.key.periodStart?.getTime() ?? 0) ||
          (a.key.callQueueId ?? 0) - (b.key.callQueueId ?? 0),
      )
      .map(({ key, parts }) => ({
        period: key.period,
        periodStart: key.periodStart,
        callQueueId: key.callQueueId,
        callQueueName: key.callQueueId === null ? null : (names.get(key.callQueueId) ?? null),
        ...figuresOf(parts),
      })),
  );
}

/** Per call queue × local hour over `range`: rollup rows where held, calls elsewhere. */
async function callQueueHours(
  db: Db,
  options: {
    range: ReportRange;
    timeZone: string;
    thresholds: MetricThresholds;
    callQueueIds?: number[] | undefined;
  },
): Promise<CallQueueHourParts[]> {
  const { range, timeZone, thresholds, callQueueIds } = options;
  const held = await heldPeriods(db, { rollup: "hour", range, timeZone, thresholds });
  const fromRollup =
    held.length === 0
      ? []
      : await sql<CallQueueHourPartsRow>`
          select h.*, to_char(h.local_hour, 'YYYY-MM-DD"T"HH24:MI') as local_hour_label
          from call_queue_hours h
          where h.time_zone = ${timeZone}
            and h.hour_start = any(${heldStarts(held)}::timestamptz[])
            ${callQueueIds ? sql`and h.call_queue_id = any(${callQueueIds}::bigint[])` : sql``}`
          .execute(db)
          .then((result) => result.rows);
  const gaps = uncoveredRanges(range, held);
  const fromCalls =
    gaps.length === 0
      ? []
      : await callQueueHourPartsSql({ ranges: gaps, timeZone, thresholds, callQueueIds })
          .$castTo<CallQueueHourPartsRow>()
          .execute(db)
          .then((result) => result.rows);
  return [...fromRollup, ...fromCalls].map(toCallQueueHourParts);
}

interface GroupKey {
  period: string | null;
  periodStart: Date | null;
  callQueueId: number | null;
}

/** `startOf`: the UTC instant a local date starts. */
function groupKey(
  hour: CallQueueHourParts,
  by: CallQueueFiguresOptions["by"],
  startOf: (date: string) => Date,
): GroupKey {
  const callQueueId = by.callQueue ? hour.callQueueId : null;
  switch (by.period) {
    case "hour":
      return { period: hour.localHour, periodStart: hour.hourStart, callQueueId };
    case "day": {
      const day = hour.localHour.slice(0, 10);
      return { period: day, periodStart: startOf(day), callQueueId };
    }
    case "week": {
      const week = isoWeekStart(hour.localHour.slice(0, 10));
      return { period: week, periodStart: startOf(week), callQueueId };
    }
    default:
      return { period: null, periodStart: null, callQueueId };
  }
}

/** The metrics of a group of hours: sums of their parts, ratios of the sums. */
export function figuresOf(parts: CallQueueHourParts[]): CallQueueFigures {
  const sum = (pick: (hour: CallQueueHourParts) => number) =>
    parts.reduce((total, hour) => total + pick(hour), 0);
  const offered = sum((hour) => hour.offered);
  const answered = sum((hour) => hour.answered);
  const abandoned = sum((hour) => hour.abandoned);
  const shortAbandoned = sum((hour) => hour.shortAbandoned);
  const talkSeconds = sum((hour) => hour.talkSeconds);
  const holdSeconds = sum((hour) => hour.holdSeconds);
  const wrapUpSeconds = sum((hour) => hour.wrapUpSeconds);
  const waits = parts.flatMap((hour) =>
    hour.longestWaitSeconds === null ? [] : [hour.longestWaitSeconds],
  );
  const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  return {
    offered,
    answered,
    abandoned,
    shortAbandoned,
    abandonmentRate: ratio(abandoned, offered - shortAbandoned),
    serviceLevel: ratio(
      sum((hour) => hour.answeredWithinThreshold),
      offered - shortAbandoned,
    ),
    averageSpeedOfAnswerSeconds: ratio(
      sum((hour) => hour.answerWaitSeconds),
      answered,
    ),
    longestWaitSeconds: waits.length === 0 ? null : waits.reduce((a, b) => Math.max(a, b)),
    averageHandleTimeSeconds: ratio(talkSeconds + holdSeconds + wrapUpSeconds, answered),
    talkSeconds,
    holdSeconds,
    wrapUpSeconds,
  };
}

async function callQueueNames(db: Db, ids: (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .selectFrom("call_queues")
    .select(["id", "name"])
    .where("id", "in", wanted)
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.name]));
}
