/**
 * Reports over HTTP (seed 000's Report Generation):
 * - `POST /api/tasks/reports/generate/` asks for a report; 202 with the task id of the job
 *   building it, its cache key and where to follow and download it. The same report, fresh or
 *   being built, is reused (no new job) unless `refresh` is true.
 * - `GET /api/tasks/reports/download/?cache_key=…&format=json|csv|html` streams a ready report's
 *   rendering; 404 for an unknown key, 409 with the status (and error) while it is not ready.
 * - `GET /api/reports/` lists reports, newest requested first, keyset-paged.
 */
import { Readable } from "node:stream";
import type { HttpBindings } from "@hono/node-server";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { ReportingService } from "../../callCenter/services.ts";
import { agentFind } from "../../calls/inboundCalls.ts";
import { recordAudit } from "../../control/audit.ts";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import { type ExecutionStatus, liveStatuses } from "../../engine/executionStatus.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import { CACHE_KEY_PATTERN } from "../../reports/cacheKey.ts";
import type { ReportEmailOptions } from "../../reports/reportEmail.ts";
import {
  reportContentTypes,
  reportDownloadPath,
  reportFileName,
  reportFormats,
} from "../../reports/reportFiles.ts";
import {
  agentReportParameters,
  calendarDate,
  dailyReportParameters,
  monthlyReportParameters,
  type ReportParameters,
  reportAgentId,
  reportDateRange,
  reportEmailRecipients,
  reportMonth,
  reportTaskNames,
  reportTypes,
  reportYear,
  weeklyReportParameters,
} from "../../reports/reportParameters.ts";
import { reportGetWithBuild, reportList } from "../../reports/reportRows.ts";
import { requestReport } from "../../reports/requestReport.ts";
import { RecordingNotFoundError } from "../../storage/errors.ts";
import { downloadBody } from "../../storage/holdBackLastChunk.ts";
import type { AppEnv } from "../context.ts";
import { asBadRequest, registeredTask, taskStatusUrl } from "../enqueueing.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import {
  body,
  ErrorSchema,
  errorResponses,
  json,
  jsonBodyErrorResponses,
  notFoundResponse,
} from "../openapi.ts";
import { auditEntry } from "../operator.ts";
import { cursorParam } from "../schemas/cursor.ts";

export interface ReportRoutesDependencies {
  db: Db;
  /** Must hold the report tasks (reportTaskNames). */
  registry: TaskRegistry;
  reporting: Pick<ReportingService, "files" | "timeZone">;
  /** Where the API is reached from outside: a reused ready report's email links there. */
  publicBaseUrl?: string;
}

const requestFields = {
  email_recipients: reportEmailRecipients
    .optional()
    .openapi({ description: "Who the report is emailed to once ready (each recipient once)" }),
  refresh: z
    .boolean({ error: "refresh must be true or false" })
    .optional()
    .openapi({ description: "Build again even if a fresh report with the same key exists" }),
};

const GenerateReportBody = z
  .discriminatedUnion(
    "report_type",
    [
      z.strictObject({
        report_type: z.literal("daily"),
        date_str: calendarDate("date_str").openapi({ example: "2026-03-08" }),
        ...requestFields,
      }),
      z.strictObject({
        report_type: z.literal("weekly"),
        week_start_str: calendarDate("week_start_str").openapi({ example: "2026-03-02" }),
        ...requestFields,
      }),
      z.strictObject({
        report_type: z.literal("monthly"),
        year: reportYear,
        month: reportMonth,
        ...requestFields,
      }),
      z.strictObject({
        report_type: z.literal("agent"),
        agent_id: reportAgentId,
        date_range: reportDateRange,
        ...requestFields,
      }),
    ],
    { error: `report_type must be one of ${reportTypes.join(", ")}` },
  )
  .openapi("GenerateReport");

type GenerateReportInput = z.output<typeof GenerateReportBody>;

const ReportRequestedSchema = z
  .object({
    task_id: z.uuid().nullable(),
    cache_key: z.string(),
    status: z.enum(["pending", "running", "ready", "failed"]),
    reused: z.boolean(),
    status_url: z.string().nullable(),
    download_url: z.string(),
  })
  .openapi("ReportRequested");

const CacheKeyField = z
  .string({ error: "cache_key is required" })
  .regex(CACHE_KEY_PATTERN, "cache_key must be 32 lowercase hex digits, as generate returned it");

const DownloadQuery = z.strictObject({
  cache_key: CacheKeyField,
  format: z
    .enum(reportFormats, { error: `format must be one of ${reportFormats.join(", ")}` })
    .default("json"),
});

const ListQuery = z.strictObject({
  report_type: z
    .enum(reportTypes, { error: `report_type must be one of ${reportTypes.join(", ")}` })
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursorParam.optional(),
});

const ReportSummarySchema = z
  .object({
    id: z.uuid(),
    report_type: z.enum(reportTypes),
    parameters: z.record(z.string(), z.unknown()),
    cache_key: z.string(),
    status: z.enum(["pending", "running", "ready", "failed"]),
    task_id: z.uuid().nullable(),
    email_recipients: z.array(z.string()),
    created_at: z.string(),
    generated_at: z.string().nullable(),
    fresh_until: z.string().nullable(),
    error: z.string().nullable(),
    download_url: z.string(),
  })
  .openapi("ReportSummary");

const ReportPageSchema = z
  .object({ reports: z.array(ReportSummarySchema), next_cursor: z.string().nullable() })
  .openapi("ReportPage");

/**
 * The 409 for a report that cannot be downloaded: its status, and its error when it failed. A
 * build whose execution ended without finishing it (cancelled, expired, its worker lost) is
 * said so: asking for the report again builds it.
 */
function notReady(report: {
  status: string;
  error: string | null;
  execution_status: ExecutionStatus | null;
}): ApiError {
  const details = [{ path: "status", message: report.status }];
  if (report.status === "failed") {
    const error = report.error ?? "unknown error";
    return new ApiError(409, "not_ready", `The report failed: ${error}`, [
      ...details,
      { path: "error", message: error },
    ]);
  }
  const ended = report.execution_status;
  if (ended && !(liveStatuses as readonly string[]).includes(ended)) {
    return new ApiError(
      409,
      "not_ready",
      `The report's build ended ${ended} before it was ready; ask for the report again`,
      [...details, { path: "execution_status", message: ended }],
    );
  }
  return new ApiError(409, "not_ready", `The report is ${report.status}`, details);
}

export function reportRoutes({ db, registry, reporting, publicBaseUrl }: ReportRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  const emailing = (): ReportEmailOptions | undefined => {
    const sendEmailTask = registry.get("send_email");
    return sendEmailTask && publicBaseUrl ? { sendEmailTask, publicBaseUrl } : undefined;
  };

  const parametersOf = (input: GenerateReportInput): ReportParameters => {
    const timeZone = reporting.timeZone;
    switch (input.report_type) {
      case "daily":
        return dailyReportParameters({ date_str: input.date_str }, timeZone);
      case "weekly":
        return weeklyReportParameters({ week_start_str: input.week_start_str }, timeZone);
      case "monthly":
        return monthlyReportParameters({ year: input.year, month: input.month }, timeZone);
      case "agent":
        return agentReportParameters(
          { agent_id: input.agent_id, date_range: input.date_range },
          timeZone,
        );
    }
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tasks/reports/generate",
      summary: "Generate a report (daily, weekly, monthly, agent), or reuse a fresh one",
      tags: ["reports"],
      middleware: [requireScope("operate")] as const,
      request: body(GenerateReportBody),
      responses: {
        202: json(ReportRequestedSchema, "Enqueued, or an existing report reused"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const parameters = parametersOf(input);
      const task = registeredTask(registry, reportTaskNames[parameters.report_type]);
      if (
        parameters.report_type === "agent" &&
        !(await agentFind(db, { agentId: parameters.agent_id }))
      ) {
        throw new ApiError(404, "not_found", `No agent ${parameters.agent_id}`, [
          { path: "agent_id", message: "no agent with this id" },
        ]);
      }
      const requested = await db.transaction().execute(async (trx) => {
        const result = await requestReport(trx, task, {
          parameters,
          emailRecipients: input.email_recipients ?? [],
          refresh: input.refresh ?? false,
          email: emailing(),
        }).catch(asBadRequest);
        await recordAudit(
          trx,
          auditEntry(
            c,
            "report.generate",
            [result.cacheKey],
            result.reused ? "reused" : "enqueued",
            {
              task_id: result.taskId,
              report_type: parameters.report_type,
              refresh: input.refresh ?? false,
            },
          ),
        );
        return result;
      });
      return c.json(
        {
          task_id: requested.taskId,
          cache_key: requested.cacheKey,
          status: requested.status,
          reused: requested.reused,
          status_url: requested.taskId ? taskStatusUrl(requested.taskId) : null,
          download_url: reportDownloadPath(requested.cacheKey),
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/reports/download",
      summary: "Download a ready report as JSON, CSV or HTML",
      tags: ["reports"],
      middleware: [requireScope("read")] as const,
      request: { query: DownloadQuery },
      responses: {
        200: {
          description: "The report's rendering, streamed",
          content: {
            "application/json": { schema: z.unknown() },
            "text/csv": { schema: z.string() },
            "text/html": { schema: z.string() },
          },
        },
        ...errorResponses,
        ...notFoundResponse,
        409: json(ErrorSchema, "Not ready: pending, running or failed (with its error)"),
      },
    }),
    async (c) => {
      const { cache_key: cacheKey, format } = c.req.valid("query");
      const report = await reportGetWithBuild(db, cacheKey);
      if (!report) throw new ApiError(404, "not_found", `No report with cache_key ${cacheKey}`);
      const key = { json: report.json_key, csv: report.csv_key, html: report.html_key }[format];
      if (report.status !== "ready" || !key) throw notReady(report);
      let file: Readable;
      try {
        file = await reporting.files.get(key);
      } catch (error) {
        if (error instanceof RecordingNotFoundError) {
          c.get("logger")?.error({ cacheKey, key }, "ready report has no file in the store");
          throw new ApiError(404, "not_found", `The report's ${format} file is missing`);
        }
        throw error;
      }
      const parameters = report.parameters as ReportParameters;
      const body = downloadBody(file, (error) => {
        c.get("logger")?.error({ err: error, cacheKey }, "report file failed while streaming");
        (c.env as Partial<HttpBindings> | undefined)?.outgoing?.destroy(error as Error);
      });
      return c.body(Readable.toWeb(body) as ReadableStream<Uint8Array>, 200, {
        "content-type": reportContentTypes[format],
        "content-disposition": `attachment; filename="${reportFileName(parameters, format)}"`,
        "cache-control": "private, no-store",
        // The page needs nothing but its own inline style.
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
        "x-content-type-options": "nosniff",
      });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/reports",
      summary: "List reports, newest requested first",
      tags: ["reports"],
      middleware: [requireScope("read")] as const,
      request: { query: ListQuery },
      responses: { 200: json(ReportPageSchema, "A page of reports"), ...errorResponses },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await reportList(db, {
        limit: query.limit,
        ...(query.report_type ? { reportType: query.report_type } : {}),
        ...(query.cursor ? { after: query.cursor } : {}),
      });
      return c.json(
        {
          reports: page.rows.map((row) => ({
            id: row.public_id,
            report_type: row.report_type,
            parameters: row.parameters as Record<string, unknown>,
            cache_key: row.cache_key,
            status: row.status,
            task_id: row.execution_id,
            email_recipients: row.email_recipients,
            created_at: row.created_at.toISOString(),
            generated_at: row.generated_at?.toISOString() ?? null,
            fresh_until: row.fresh_until?.toISOString() ?? null,
            error: row.error,
            download_url: reportDownloadPath(row.cache_key),
          })),
          next_cursor: page.next ? encodeCursor(page.next) : null,
        },
        200,
      );
    },
  );

  return app;
}
