import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { generateReport } from "../src/reports/generateReport.ts";
import { isScheduledReportRun, reportEmailing } from "../src/reports/reportEmail.ts";
import { monthlyReportParameters, monthlyReportPayload } from "../src/reports/reportParameters.ts";
import { scheduledReportPayload } from "../src/reports/scheduledReportPayload.ts";
import sendEmail from "./send_email.ts";

/**
 * Seed 000's `generate_monthly_report(year, month)` (the 1st, 04:00 in REPORT_TIMEZONE): the
 * report of one local month; without `year` and `month`, last month.
 */
export default defineCallCenterTask({
  name: "generate_monthly_report",
  lane: "reports",
  positionalArgs: ["year", "month"],
  payload: monthlyReportPayload,
  scheduledPayload: (payload, scheduledAt, services) =>
    scheduledReportPayload("monthly", payload, scheduledAt, services?.reporting.timeZone),
  run: (payload, ctx) =>
    generateReport(
      { db: ctx.db, reporting: ctx.services.reporting },
      {
        parameters: monthlyReportParameters(payload, ctx.services.reporting.timeZone),
        executionId: ctx.executionId,
        emailRecipients: payload.email_recipients,
        signal: ctx.signal,
        email: reportEmailing(ctx.services, sendEmail, {
          scheduled: isScheduledReportRun(payload, "year"),
        }),
      },
    ),
});
