/**
 * Emailing a ready report: one `send_email` job to the recipients it has not been emailed to
 * yet, enqueued in the transaction that marks it ready — so the mail goes out only if the report
 * is ready, and a retried or refreshed build does not email anyone twice (`reports.emailed_to`).
 * The message leads with the report's key figures (HTML, and the same as plain text), links to
 * the download route, and carries the CSV rendering as an attachment.
 */
import { html } from "hono/html";
import { sql, type Transaction } from "kysely";
import type { CallCenterServices } from "../callCenter/services.ts";
import type { Database, Report } from "../database/schema.ts";
import { MAX_ATTACHMENT_BYTES, type SendEmailPayload } from "../email/payload.ts";
import { enqueue } from "../engine/enqueue.ts";
import type { AnyTask } from "../engine/task.ts";
import { reportKeyFigures } from "./renderHtml.ts";
import type { ReportContent } from "./reportContent.ts";
import { reportDownloadPath, reportFileName } from "./reportFiles.ts";
import type { ReportParameters } from "./reportParameters.ts";

export interface ReportEmailOptions {
  /** The `send_email` task. */
  sendEmailTask: AnyTask;
  /** Where the API is reached from outside, for the download link (no trailing slash). */
  publicBaseUrl: string;
  /** Recipients besides the report's own (DAILY_REPORT_RECIPIENTS for the scheduled reports). */
  alsoTo?: string[];
}

export interface ReportEmailMessage {
  subject: string;
  body: string;
  html: string;
}

/** The message of a report: key figures in HTML and plain text, and the download link. */
export function renderReportEmail(
  content: ReportContent,
  generatedAt: Date,
  downloadUrl: string,
): ReportEmailMessage {
  const { heading, figures } = reportKeyFigures(content);
  const period = `${content.range.from} to ${content.range.to} (time zone ${content.timeZone})`;
  const text = [
    content.title,
    period,
    "",
    `${heading}:`,
    ...figures.map((f) => `  ${f.label}: ${f.value}${f.change ? ` (${f.change})` : ""}`),
    "",
    "The full report is attached as CSV, and can be downloaded (with an API token) at:",
    downloadUrl,
    "",
    `Generated ${generatedAt.toISOString()}.`,
  ].join("\n");
  const cell = "padding:4px 10px;border:1px solid #d0d7de";
  // Mail clients drop <style>: the few styles are inline.
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${content.title}</title></head>
<body style="font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f23">
<h1 style="font-size:20px;margin:0 0 4px">${content.title}</h1>
<p style="color:#57606a;margin:0 0 16px">${period}</p>
<h2 style="font-size:16px;margin:0 0 8px">${heading}</h2>
<table style="border-collapse:collapse">
${figures.map(
  (f) =>
    html`<tr><td style="${cell}">${f.label}</td><td style="${cell};text-align:right;font-weight:600">${f.value}</td><td style="${cell};color:#57606a">${f.change ?? ""}</td></tr>
`,
)}</table>
<p>The full report is attached as CSV. <a href="${downloadUrl}">Download it</a> (with an API token).</p>
<p style="color:#57606a">Generated ${generatedAt.toISOString()}.</p>
</body></html>
`;
  if (page instanceof Promise) throw new Error("the report email rendered asynchronously");
  return { subject: content.title, body: text, html: page.toString() };
}

/**
 * Enqueues the email of `report` (just marked ready in `trx`) to those of its recipients and
 * `alsoTo` not yet emailed, and records them as emailed. Returns the job's execution id, or
 * null when there was no one left to email.
 */
export async function reportEmailEnqueue(
  trx: Transaction<Database>,
  report: Report,
  rendered: { content: ReportContent; csv: string; generatedAt: Date },
  options: ReportEmailOptions,
): Promise<string | null> {
  const recipients = [...new Set([...report.email_recipients, ...(options.alsoTo ?? [])])].filter(
    (address) => !report.emailed_to.includes(address),
  );
  if (recipients.length === 0) return null;
  const parameters = report.parameters as ReportParameters;
  const downloadUrl = `${options.publicBaseUrl}${reportDownloadPath(report.cache_key, "csv")}`;
  const message = renderReportEmail(rendered.content, rendered.generatedAt, downloadUrl);
  const csv = Buffer.from(rendered.csv, "utf8");
  const payload: SendEmailPayload = {
    to_email: recipients,
    ...message,
    // A CSV too large to attach is still reachable by the link.
    ...(csv.length <= MAX_ATTACHMENT_BYTES
      ? {
          attachments: [
            {
              filename: reportFileName(parameters, "csv"),
              content: csv.toString("base64"),
              content_type: "text/csv",
            },
          ],
        }
      : {}),
  };
  const executionId = await enqueue(trx, options.sendEmailTask, payload, {
    correlationId: `report:${report.public_id}`,
  });
  await trx
    .updateTable("reports")
    .set({ emailed_to: sql<string[]>`emailed_to || ${recipients}::text[]` })
    .where("id", "=", report.id)
    .execute();
  return executionId;
}

/**
 * Whether a report task's run is a scheduled one: a crontab run (graphile-worker adds `_cron` to
 * its payload, which carries the period it covers), or one given no period, which reports the
 * last day, week or month as the crontab's do.
 */
export function isScheduledReportRun(payload: object, periodField: string): boolean {
  return "_cron" in payload || (payload as Record<string, unknown>)[periodField] === undefined;
}

/**
 * How a report task emails its report: to its own recipients and, for a scheduled run (see
 * `isScheduledReportRun`), to DAILY_REPORT_RECIPIENTS; the link uses the public base URL that
 * Twilio's webhooks use.
 */
export function reportEmailing(
  services: Pick<CallCenterServices, "email" | "twilio">,
  sendEmailTask: AnyTask,
  { scheduled }: { scheduled: boolean },
): ReportEmailOptions {
  return {
    sendEmailTask,
    publicBaseUrl: services.twilio.publicBaseUrl,
    alsoTo: scheduled ? services.email.reportRecipients : [],
  };
}
