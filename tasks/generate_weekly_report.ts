import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { generateReport } from "../src/reports/generateReport.ts";
import { isScheduledReportRun, reportEmailing } from "../src/reports/reportEmail.ts";
import { weeklyReportParameters, weeklyReportPayload } from "../src/reports/reportParameters.ts";
import { scheduledReportPayload } from "../src/reports/scheduledReportPayload.ts";
import sendEmail from "./send_email.ts";

/**
 * Seed 000's `generate_weekly_report(week_start_str)` (Mondays, 03:00 in REPORT_TIMEZONE): the
 * report of the seven local days from `week_start_str`; without it, last week from its Monday.
 */
export default defineCallCenterTask({
  name: "generate_weekly_report",
  lane: "reports",
  positionalArgs: ["week_start_str"],
  payload: weeklyReportPayload,
  scheduledPayload: (payload, scheduledAt, services) =>
    scheduledReportPayload("weekly", payload, scheduledAt, services?.reporting.timeZone),
  run: (payload, ctx) =>
    generateReport(
      { db: ctx.db, reporting: ctx.services.reporting },
      {
        parameters: weeklyReportParameters(payload, ctx.services.reporting.timeZone),
        executionId: ctx.executionId,
        emailRecipients: payload.email_recipients,
        signal: ctx.signal,
        email: reportEmailing(ctx.services, sendEmail, {
          scheduled: isScheduledReportRun(payload, "week_start_str"),
        }),
      },
    ),
});
