/**
 * Exports of call data over HTTP (seed 000):
 * - `POST /api/tasks/export/` starts `export_call_data` for the filters, or answers with the
 *   export already pending, running or ready under the same cache key (the same filters and
 *   format), unless `refresh` asks for a new run. The job, the `exports` row and the audit row
 *   are written in one transaction.
 * - `GET /api/tasks/export/download/?cache_key=…` streams the file, decrypted: 404 for an unknown
 *   key, 409 (with its status and progress) while it is not ready, 410 once it expired. As with
 *   recordings, the last chunk leaves only once the file authenticated, so a tampered file ends
 *   the response short of its Content-Length. Every download is audited (`export.download`).
 */
import { Readable } from "node:stream";
import type { HttpBindings } from "@hono/node-server";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { CallCenterServices } from "../../callCenter/services.ts";
import { recordAudit } from "../../control/audit.ts";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import { enqueue } from "../../engine/enqueue.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import { exportList } from "../../exports/exportList.ts";
import {
  exportAssignExecution,
  exportGetByCacheKey,
  exportRequest,
} from "../../exports/exportRecords.ts";
import {
  endAfterStart,
  endAfterStartIssue,
  exportCacheKey,
  exportFilterFields,
  exportFormats,
  normaliseExportFilters,
} from "../../exports/filters.ts";
import { RecordingNotFoundError } from "../../storage/errors.ts";
import { downloadBody } from "../../storage/holdBackLastChunk.ts";
import type { AppEnv } from "../context.ts";
import { asBadRequest, registeredTask, taskStatusUrl } from "../enqueueing.ts";
import { ApiError, errorBody } from "../errors.ts";
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

export interface ExportRoutesDependencies {
  db: Db;
  /** Must hold export_call_data. */
  registry: TaskRegistry;
  services: Pick<CallCenterServices, "reporting">;
}

const ExportBody = z
  .strictObject({
    format: z
      .enum(exportFormats, { error: `format must be one of ${exportFormats.join(", ")}` })
      .default("csv"),
    ...exportFilterFields,
    refresh: z
      .boolean({ error: "refresh must be true or false" })
      .optional()
      .openapi({ description: "Run the export again even when a fresh file is ready" }),
  })
  .refine(endAfterStart, endAfterStartIssue)
  .openapi("ExportCallData", {
    example: {
      format: "csv",
      start_date: "2023-10-01T00:00:00Z",
      end_date: "2023-10-31T23:59:59Z",
      queue_ids: [1, 2, 3],
    },
  });

const ExportProgress = z.object({
  rows_done: z.number().int(),
  rows_estimated: z.number().int().nullable(),
  /** 0-100, from the estimate; 100 once ready. */
  percent: z.number().int(),
});

const QueuedExportSchema = z
  .object({
    task_id: z.uuid().nullable(),
    cache_key: z.string(),
    export_id: z.uuid(),
    status: z.string(),
    status_url: z.string().nullable(),
    download_url: z.string(),
  })
  .openapi("QueuedExport");

const NotReadySchema = ErrorSchema.extend({
  status: z.string(),
  progress: ExportProgress,
}).openapi("ExportNotReady");

const CACHE_KEY = /^[0-9a-f]{64}$/;

const DownloadQuery = z.object({
  cache_key: z
    .string({ error: "cache_key is required" })
    .regex(CACHE_KEY, "cache_key must be the 64 hex digits POST /api/tasks/export/ answered")
    .openapi({ param: { name: "cache_key", in: "query" } }),
});

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursorParam.optional(),
});

const ExportSummarySchema = z
  .object({
    export_id: z.uuid(),
    cache_key: z.string(),
    format: z.enum(exportFormats),
    filters: z.record(z.string(), z.unknown()),
    requested_by: z.string(),
    status: z.string(),
    task_id: z.uuid().nullable(),
    progress: ExportProgress,
    bytes: z.number().int().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    error: z.string().nullable(),
    download_url: z.string(),
  })
  .openapi("ExportSummary");

const ExportPageSchema = z
  .object({ exports: z.array(ExportSummarySchema), next_cursor: z.string().nullable() })
  .openapi("ExportPage");

const downloadUrl = (cacheKey: string) => `/api/tasks/export/download/?cache_key=${cacheKey}`;

function progressOf(row: {
  status: string;
  rows_done: number;
  rows_estimated: number | null;
}): z.infer<typeof ExportProgress> {
  const estimate = row.rows_estimated;
  const percent =
    row.status === "ready"
      ? 100
      : estimate && estimate > 0
        ? Math.min(99, Math.floor((row.rows_done * 100) / estimate))
        : 0;
  return { rows_done: row.rows_done, rows_estimated: estimate, percent };
}

export function exportRoutes({ db, registry, services }: ExportRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tasks/export",
      summary: "Export call data as CSV or JSON (export_call_data)",
      description:
        "Calls whose report time (enqueued_at, else created_at) is between start_date and " +
        "end_date, both included, matching every other filter given. Dates need an offset or Z.",
      tags: ["exports"],
      middleware: [requireScope("operate")] as const,
      request: body(ExportBody),
      responses: {
        202: json(QueuedExportSchema, "Started, or the export of the same request"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
      },
    }),
    async (c) => {
      const { format, refresh, ...fields } = c.req.valid("json");
      const filters = normaliseExportFilters(fields);
      const cacheKey = exportCacheKey(filters, format);
      const task = registeredTask(registry, "export_call_data");
      const requestedBy = c.get("principal").name;
      const { row, taskId, started } = await db.transaction().execute(async (trx) => {
        const requested = await exportRequest(trx, {
          cacheKey,
          filters,
          format,
          requestedBy,
          ...(refresh ? { refresh } : {}),
        });
        let id = requested.row.execution_id;
        if (requested.needsJob) {
          id = await enqueue(trx, task, { filters, format, user_id: requestedBy }).catch(
            asBadRequest,
          );
          await exportAssignExecution(trx, requested.row.id, id);
        }
        await recordAudit(
          trx,
          auditEntry(
            c,
            "export.request",
            [requested.row.public_id],
            requested.needsJob ? "enqueued" : "reused",
            { task_id: id, cache_key: cacheKey, format },
          ),
        );
        return { row: requested.row, taskId: id, started: requested.needsJob };
      });
      return c.json(
        {
          task_id: taskId,
          cache_key: cacheKey,
          export_id: row.public_id,
          status: started ? "pending" : row.status,
          status_url: taskId ? taskStatusUrl(taskId) : null,
          download_url: downloadUrl(cacheKey),
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/export/download",
      summary: "Download an export's file",
      tags: ["exports"],
      middleware: [requireScope("read")] as const,
      request: { query: DownloadQuery },
      responses: {
        200: {
          description: "The file, streamed",
          content: {
            "text/csv": { schema: z.string() },
            "application/json": { schema: z.string() },
          },
        },
        ...errorResponses,
        ...notFoundResponse,
        409: json(NotReadySchema, "Not ready yet: its status and progress"),
        410: json(ErrorSchema, "Expired: the file was deleted after EXPORT_RETENTION_HOURS"),
      },
    }),
    async (c) => {
      const { cache_key: cacheKey } = c.req.valid("query");
      const row = await exportGetByCacheKey(db, cacheKey);
      if (!row) throw new ApiError(404, "not_found", `No export with cache_key ${cacheKey}`);
      if (row.expires_at && row.expires_at.getTime() <= Date.now()) {
        throw new ApiError(410, "gone", `The export expired at ${row.expires_at.toISOString()}`);
      }
      if (row.status !== "ready" || !row.storage_key) {
        return c.json(
          {
            ...errorBody("not_ready", `The export is ${row.status}, not ready`),
            status: row.status,
            progress: progressOf(row),
          },
          409,
        );
      }
      let plaintext: Readable;
      try {
        plaintext = await services.reporting.files.get(row.storage_key);
      } catch (error) {
        if (error instanceof RecordingNotFoundError) {
          throw new ApiError(410, "gone", "The export's file is no longer stored");
        }
        throw error;
      }
      try {
        await recordAudit(
          db,
          auditEntry(c, "export.download", [row.public_id], "started", {
            cache_key: cacheKey,
            bytes: row.bytes,
          }),
        );
      } catch (error) {
        plaintext.destroy();
        throw error;
      }
      const body = downloadBody(plaintext, (error) => {
        c.get("logger")?.error({ err: error, cacheKey }, "export file failed while streaming");
        (c.env as Partial<HttpBindings> | undefined)?.outgoing?.destroy(error as Error);
      });
      const headers: Record<string, string> = {
        "content-type": row.format === "csv" ? "text/csv; charset=utf-8" : "application/json",
        "content-disposition": `attachment; filename="calls-${row.public_id}.${row.format}"`,
        "cache-control": "private, no-store",
      };
      if (row.bytes !== null) headers["content-length"] = String(row.bytes);
      return c.body(Readable.toWeb(body) as ReadableStream<Uint8Array>, 200, headers);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/exports",
      summary: "Exports, newest requested first (keyset pages)",
      tags: ["exports"],
      middleware: [requireScope("read")] as const,
      request: { query: ListQuery },
      responses: { 200: json(ExportPageSchema, "A page of exports"), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = await exportList(db, { limit, after: cursor });
      return c.json(
        {
          exports: page.rows.map((row) => ({
            export_id: row.public_id,
            cache_key: row.cache_key,
            format: row.format as (typeof exportFormats)[number],
            filters: row.filters as Record<string, unknown>,
            requested_by: row.requested_by,
            status: row.status,
            task_id: row.execution_id,
            progress: progressOf(row),
            bytes: row.bytes,
            created_at: row.created_at.toISOString(),
            finished_at: row.finished_at?.toISOString() ?? null,
            expires_at: row.expires_at?.toISOString() ?? null,
            error: row.error,
            download_url: downloadUrl(row.cache_key),
          })),
          next_cursor: page.next ? encodeCursor(page.next) : null,
        },
        200,
      );
    },
  );

  return app;
}
