import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { generateReport } from "../src/reports/generateReport.ts";
import { reportEmailing } from "../src/reports/reportEmail.ts";
import { agentReportParameters, agentReportPayload } from "../src/reports/reportParameters.ts";
import sendEmail from "./send_email.ts";

/**
 * Seed 000's `calculate_agent_metrics(agent_id, date_range)`: the agent report — that agent's
 * figures over [date_range.start, date_range.end), in total and per local day.
 */
export default defineCallCenterTask({
  name: "calculate_agent_metrics",
  lane: "reports",
  positionalArgs: ["agent_id", "date_range"],
  payload: agentReportPayload,
  run: (payload, ctx) =>
    generateReport(
      { db: ctx.db, reporting: ctx.services.reporting },
      {
        parameters: agentReportParameters(payload, ctx.services.reporting.timeZone),
        executionId: ctx.executionId,
        emailRecipients: payload.email_recipients,
        signal: ctx.signal,
        email: reportEmailing(ctx.services, sendEmail, { scheduled: false }),
      },
    ),
});
