/**
 * What a report is of: seed 000's arguments (`date_str`, `week_start_str`, `year` and `month`,
 * `agent_id` and `date_range`), checked with errors naming the field, and normalised — defaults
 * filled in, instants written in UTC, the report time zone added — so that the same report
 * always has the same parameters, hence the same cache key (cacheKey.ts).
 */
import { z } from "zod";
import type { ReportType } from "../database/schema.ts";
import { isoTimestamp } from "../database/storableTimestamp.ts";
import { isCalendarDate, isTimeZone } from "../shared/localDates.ts";
import { lastMonthIn, lastWeekStartIn, yesterdayIn } from "./defaultPeriods.ts";

export const reportTypes = ["daily", "weekly", "monthly", "agent"] as const satisfies ReportType[];

/** The longest range an agent report covers. */
export const MAX_AGENT_RANGE_DAYS = 366;

export const calendarDate = (field: string) =>
  z.string().refine(isCalendarDate, `${field} must be a date written YYYY-MM-DD, e.g. 2026-03-08`);

export const reportYear = z
  .number({ error: "year must be a whole number" })
  .int("year must be a whole number")
  .min(1970, "year must be from 1970 to 9999")
  .max(9999, "year must be from 1970 to 9999");

export const reportMonth = z
  .number({ error: "month must be a whole number from 1 to 12" })
  .int("month must be a whole number from 1 to 12")
  .min(1, "month must be a whole number from 1 to 12")
  .max(12, "month must be a whole number from 1 to 12");

export const reportAgentId = z
  .number({ error: "agent_id must be an agent's id" })
  .int("agent_id must be an agent's id")
  .min(1, "agent_id must be an agent's id")
  .max(Number.MAX_SAFE_INTEGER, "agent_id must be an agent's id");

/** `{start, end}`, ISO 8601 with offsets; the report covers [start, end). */
export const reportDateRange = z
  .strictObject({
    start: isoTimestamp("date_range.start"),
    end: isoTimestamp("date_range.end"),
  })
  .superRefine((range, ctx) => {
    const span = Date.parse(range.end) - Date.parse(range.start);
    if (span <= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: "date_range.end must be after start",
      });
    } else if (span > MAX_AGENT_RANGE_DAYS * 86_400_000) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: `date_range may span at most ${MAX_AGENT_RANGE_DAYS} days`,
      });
    }
  });

export const reportEmailRecipients = z
  .array(z.email("each of email_recipients must be an email address").max(320), {
    error: "email_recipients must be a list of email addresses",
  })
  .max(100, "at most 100 email_recipients");

const reportTimeZone = z.string().refine(isTimeZone, "time_zone must be an IANA time zone");

/** What every report task's payload may add to its own arguments. */
const common = {
  /** The time zone of the report's days; default REPORT_TIMEZONE (the API passes its own). */
  time_zone: reportTimeZone.optional(),
  email_recipients: reportEmailRecipients.optional(),
};

// `passthrough`: crontab runs add `_cron`.
export const dailyReportPayload = z
  .object({ date_str: calendarDate("date_str").optional(), ...common })
  .passthrough();

export const weeklyReportPayload = z
  .object({ week_start_str: calendarDate("week_start_str").optional(), ...common })
  .passthrough();

export const monthlyReportPayload = z
  .object({ year: reportYear.optional(), month: reportMonth.optional(), ...common })
  .passthrough()
  .superRefine((payload, ctx) => {
    if ((payload.year === undefined) !== (payload.month === undefined)) {
      const missing = payload.year === undefined ? "year" : "month";
      ctx.addIssue({
        code: "custom",
        path: [missing],
        message: `give year and month together (${missing} is missing), or neither for last month`,
      });
    }
  });

export const agentReportPayload = z
  .object({ agent_id: reportAgentId, date_range: reportDateRange, ...common })
  .passthrough();

export type ReportParameters =
  | { report_type: "daily"; date_str: string; time_zone: string }
  | { report_type: "weekly"; week_start_str: string; time_zone: string }
  | { report_type: "monthly"; year: number; month: number; time_zone: string }
  | {
      report_type: "agent";
      agent_id: number;
      date_range: { start: string; end: string };
      time_zone: string;
    };

/** The daily report's parameters; without `date_str`, yesterday in the time zone. */
export function dailyReportParameters(
  payload: Pick<z.output<typeof dailyReportPayload>, "date_str" | "time_zone">,
  defaultTimeZone: string,
  now = new Date(),
): ReportParameters {
  const timeZone = payload.time_zone ?? defaultTimeZone;
  return {
    report_type: "daily",
    date_str: payload.date_str ?? yesterdayIn(timeZone, now),
    time_zone: timeZone,
  };
}

/** The weekly report's parameters; without `week_start_str`, last week's Monday. */
export function weeklyReportParameters(
  payload: Pick<z.output<typeof weeklyReportPayload>, "week_start_str" | "time_zone">,
  defaultTimeZone: string,
  now = new Date(),
): ReportParameters {
  const timeZone = payload.time_zone ?? defaultTimeZone;
  return {
    report_type: "weekly",
    week_start_str: payload.week_start_str ?? lastWeekStartIn(timeZone, now),
    time_zone: timeZone,
  };
}

/** The monthly report's parameters; without `year` and `month`, last month. */
export function monthlyReportParameters(
  payload: Pick<z.output<typeof monthlyReportPayload>, "year" | "month" | "time_zone">,
  defaultTimeZone: string,
  now = new Date(),
): ReportParameters {
  const timeZone = payload.time_zone ?? defaultTimeZone;
  const { year, month } =
    payload.year !== undefined && payload.month !== undefined
      ? { year: payload.year, month: payload.month }
      : lastMonthIn(timeZone, now);
  return { report_type: "monthly", year, month, time_zone: timeZone };
}

/** The agent report's parameters, its range's instants in UTC. */
export function agentReportParameters(
  payload: Pick<z.output<typeof agentReportPayload>, "agent_id" | "date_range" | "time_zone">,
  defaultTimeZone: string,
): ReportParameters {
  return {
    report_type: "agent",
    agent_id: payload.agent_id,
    date_range: {
      start: new Date(payload.date_range.start).toISOString(),
      end: new Date(payload.date_range.end).toISOString(),
    },
    time_zone: payload.time_zone ?? defaultTimeZone,
  };
}

/** The task that builds each type of report (seed 000's names). */
export const reportTaskNames = {
  daily: "generate_daily_report",
  weekly: "generate_weekly_report",
  monthly: "generate_monthly_report",
  agent: "calculate_agent_metrics",
} as const satisfies Record<ReportType, string>;

/** The payload of the task that builds the report of `parameters` (reportTaskNames). */
export function reportTaskPayload(parameters: ReportParameters): Record<string, unknown> {
  const { report_type: _type, ...payload } = parameters;
  return payload;
}
