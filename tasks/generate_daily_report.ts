import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { generateReport } from "../src/reports/generateReport.ts";
import { isScheduledReportRun, reportEmailing } from "../src/reports/reportEmail.ts";
import { dailyReportParameters, dailyReportPayload } from "../src/reports/reportParameters.ts";
import { scheduledReportPayload } from "../src/reports/scheduledReportPayload.ts";
import sendEmail from "./send_email.ts";

/**
 * Seed 000's `generate_daily_report(date_str)` (daily, 02:00 in REPORT_TIMEZONE): the report of
 * one local day in REPORT_TIMEZONE; without `date_str`, yesterday (src/reports/generateReport.ts).
 */
export default defineCallCenterTask({
  name: "generate_daily_report",
  lane: "reports",
  positionalArgs: ["date_str"],
  payload: dailyReportPayload,
  scheduledPayload: (payload, scheduledAt, services) =>
    scheduledReportPayload("daily", payload, scheduledAt, services?.reporting.timeZone),
  run: (payload, ctx) =>
    generateReport(
      { db: ctx.db, reporting: ctx.services.reporting },
      {
        parameters: dailyReportParameters(payload, ctx.services.reporting.timeZone),
        executionId: ctx.executionId,
        emailRecipients: payload.email_recipients,
        signal: ctx.signal,
        email: reportEmailing(ctx.services, sendEmail, {
          scheduled: isScheduledReportRun(payload, "date_str"),
        }),
      },
    ),
});
