/**
 * Asking for a report (the API's `POST /api/tasks/reports/generate/`): a fresh report with the
 * same cache key, or one still being built, is reused — no new job — unless `refresh` is asked;
 * otherwise its task is enqueued and the report handed to that execution, in the caller's
 * transaction, under a lock on the report's row so two requests cannot both enqueue. A ready
 * report that is reused is emailed, in the same transaction, to new recipients (given `email`).
 */
import type { Transaction } from "kysely";
import type { Database, ReportStatus } from "../database/schema.ts";
import { enqueue } from "../engine/enqueue.ts";
import type { AnyTask } from "../engine/task.ts";
import { reportCacheKey } from "./cacheKey.ts";
import { renderReportCsv } from "./renderCsv.ts";
import type { ReportContent } from "./reportContent.ts";
import { type ReportEmailOptions, reportEmailEnqueue } from "./reportEmail.ts";
import { type ReportParameters, reportTaskPayload } from "./reportParameters.ts";
import { reportAddRecipients, reportAssignBuild, reportLockForRequest } from "./reportRows.ts";

export interface ReportRequest {
  parameters: ReportParameters;
  emailRecipients: string[];
  refresh: boolean;
  /** Email a reused ready report to recipients it was not emailed to yet. */
  email?: ReportEmailOptions | undefined;
}

export interface RequestedReport {
  /** The execution building (or that built) the report. */
  taskId: string | null;
  cacheKey: string;
  status: ReportStatus;
  /** True when an existing report or build was reused. */
  reused: boolean;
}

/** `task` must be the report type's task (reportTaskNames). */
export async function requestReport(
  trx: Transaction<Database>,
  task: AnyTask,
  request: ReportRequest,
): Promise<RequestedReport> {
  const cacheKey = reportCacheKey(request.parameters);
  const row = await reportLockForRequest(trx, { parameters: request.parameters, cacheKey });
  await reportAddRecipients(trx, cacheKey, request.emailRecipients);
  if (!request.refresh && (row.fresh || row.building)) {
    if (request.email && row.status === "ready" && row.content && row.generated_at) {
      const content = row.content as unknown as ReportContent;
      await reportEmailEnqueue(
        trx,
        { ...row, email_recipients: [...row.email_recipients, ...request.emailRecipients] },
        { content, csv: renderReportCsv(content), generatedAt: row.generated_at },
        request.email,
      );
    }
    return { taskId: row.execution_id, cacheKey, status: row.status, reused: true };
  }
  const taskId = await enqueue(trx, task, reportTaskPayload(request.parameters));
  await reportAssignBuild(trx, cacheKey, taskId);
  return { taskId, cacheKey, status: "pending", reused: false };
}
