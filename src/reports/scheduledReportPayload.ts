/**
 * The payload of a scheduled report's crontab run: the line's, with the period the run covers
 * (yesterday, last week or last month, as of the minute it was scheduled for) and the time zone
 * written in. The execution records it, so a run that starts late, or a retry days later, builds
 * the report of the same period.
 *
 * @example
 * scheduledReportPayload("daily", {}, new Date("2026-03-08T07:00:00Z"), "America/New_York");
 * // { date_str: "2026-03-07", time_zone: "America/New_York" }
 */
import {
  dailyReportParameters,
  dailyReportPayload,
  monthlyReportParameters,
  monthlyReportPayload,
  reportTaskPayload,
  weeklyReportParameters,
  weeklyReportPayload,
} from "./reportParameters.ts";

export function scheduledReportPayload(
  type: "daily" | "weekly" | "monthly",
  payload: Record<string, unknown>,
  scheduledAt: Date,
  defaultTimeZone: string | undefined,
): Record<string, unknown> {
  if (defaultTimeZone === undefined) return payload;
  // A payload the schema refuses is left as it is: its run fails naming the field.
  if (type === "daily") {
    const parsed = dailyReportPayload.safeParse(payload);
    if (!parsed.success) return payload;
    const parameters = dailyReportParameters(parsed.data, defaultTimeZone, scheduledAt);
    return { ...payload, ...reportTaskPayload(parameters) };
  }
  if (type === "weekly") {
    const parsed = weeklyReportPayload.safeParse(payload);
    if (!parsed.success) return payload;
    const parameters = weeklyReportParameters(parsed.data, defaultTimeZone, scheduledAt);
    return { ...payload, ...reportTaskPayload(parameters) };
  }
  const parsed = monthlyReportPayload.safeParse(payload);
  if (!parsed.success) return payload;
  const parameters = monthlyReportParameters(parsed.data, defaultTimeZone, scheduledAt);
  return { ...payload, ...reportTaskPayload(parameters) };
}
