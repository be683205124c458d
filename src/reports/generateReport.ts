/**
 * Builds a report: marks its row running, computes its content from the analytics, renders it
 * as JSON, CSV and HTML, stores the three, and marks it ready — or, if any step fails, removes
 * whatever files it stored, marks it failed with the error, and rethrows (the task's retries
 * then apply). Figures are read from `reporting.db` (the replica when there is one). With
 * `email`, the transaction that marks it ready also enqueues its email (reportEmail.ts).
 */
import type { MetricThresholds } from "../analytics/thresholds.ts";
import type { ReportingService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import type { Report } from "../database/schema.ts";
import { buildAgentReport } from "./agentReport.ts";
import { reportCacheKey } from "./cacheKey.ts";
import { buildPeriodReport } from "./periodReport.ts";
import { renderReportCsv } from "./renderCsv.ts";
import { renderReportHtml } from "./renderHtml.ts";
import type { ReportContent } from "./reportContent.ts";
import { type ReportEmailOptions, reportEmailEnqueue } from "./reportEmail.ts";
import { reportFileKeys, reportFilesDelete, reportFilesPut } from "./reportFiles.ts";
import type { ReportParameters } from "./reportParameters.ts";
import {
  reportAddRecipients,
  reportMarkFailed,
  reportMarkReady,
  reportStartBuild,
} from "./reportRows.ts";

/** How long a ready report is reused for the same parameters, unless REPORT_FRESH_SECONDS says. */
export const DEFAULT_REPORT_FRESH_SECONDS = 3600;

export interface GenerateReportDependencies {
  /** The main database: the `reports` table is written here. */
  db: Db;
  reporting: ReportingService;
}

export interface GeneratedReport {
  cache_key: string;
  /** `superseded`: a refresh handed the report to another execution while this one built it. */
  status: "ready" | "superseded";
  report_id?: string;
  /** Recorded on the report for the email sender. */
  email_recipients?: string[];
}

export function buildReportContent(
  db: Db,
  parameters: ReportParameters,
  thresholds?: MetricThresholds,
): Promise<ReportContent> {
  return parameters.report_type === "agent"
    ? buildAgentReport(db, parameters)
    : buildPeriodReport(db, parameters, thresholds);
}

export async function generateReport(
  { db, reporting }: GenerateReportDependencies,
  request: {
    parameters: ReportParameters;
    executionId: string | null;
    emailRecipients?: string[];
    /** The job's signal: a cancelled build stops before storing files and ends failed. */
    signal?: AbortSignal;
    /** Email the ready report to its recipients (and `email.alsoTo`). */
    email?: ReportEmailOptions;
  },
): Promise<GeneratedReport> {
  const { parameters, executionId } = request;
  const cacheKey = reportCacheKey(parameters);
  const build = { cacheKey, executionId };
  await reportStartBuild(db, { parameters, cacheKey, executionId });
  await reportAddRecipients(db, cacheKey, request.emailRecipients ?? []);
  const keys = reportFileKeys(parameters, cacheKey);
  let row: Report | undefined;
  try {
    const content = await buildReportContent(reporting.db, parameters, reporting.metricThresholds);
    request.signal?.throwIfAborted();
    const generatedAt = new Date();
    const renderings = {
      json: JSON.stringify(content),
      csv: renderReportCsv(content),
      html: renderReportHtml(content, generatedAt),
    };
    await reportFilesPut(reporting.files, keys, renderings);
    request.signal?.throwIfAborted();
    const ready = {
      content,
      keys,
      generatedAt,
      freshForSeconds: reporting.reportFreshSeconds ?? DEFAULT_REPORT_FRESH_SECONDS,
    };
    const { email } = request;
    row = email
      ? await db.transaction().execute(async (trx) => {
          const marked = await reportMarkReady(trx, build, ready);
          if (marked) {
            await reportEmailEnqueue(
              trx,
              marked,
              { content, csv: renderings.csv, generatedAt },
              email,
            );
          }
          return marked;
        })
      : await reportMarkReady(db, build, ready);
  } catch (error) {
    await reportFilesDelete(reporting.files, keys);
    await reportMarkFailed(db, build, error instanceof Error ? error.message : String(error));
    throw error;
  }
  if (!row) return { cache_key: cacheKey, status: "superseded" };
  return {
    cache_key: cacheKey,
    status: "ready",
    report_id: row.public_id,
    email_recipients: row.email_recipients,
  };
}
