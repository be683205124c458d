/**
 * `POST /api/tasks/bulk-actions/`: retry or cancel many executions in ONE transaction — every
 * selected execution changes or none does. A filter that matches more than the batch limit is
 * refused (422) rather than truncated. `dry_run` reports the outcomes and changes nothing.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Db } from "../../database/pool.ts";
import { cancelExecution } from "../../engine/control/cancel.ts";
import { retryExecution } from "../../engine/control/retry.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import { recordAudit } from "../audit.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { ErrorSchema, errorResponses } from "../openapi.ts";
import { applyExecutionFilters, ExecutionFiltersSchema } from "../schemas/executionFilters.ts";
import { auditEntry } from "./executions.ts";

export interface BulkActionDependencies {
  db: Db;
  registry: TaskRegistry;
  /** Most executions one bulk action may touch. */
  maxBatch: number;
}

const BulkActionBody = z
  .object({
    action: z.enum(["retry", "cancel"]),
    task_ids: z
      .array(z.uuid({ message: "expected a task id (UUID)" }))
      .min(1)
      .optional(),
    filters: ExecutionFiltersSchema.optional(),
    dry_run: z.boolean().default(false),
  })
  .strict()
  .refine((body) => (body.task_ids === undefined) !== (body.filters === undefined), {
    message: "give task_ids or filters, not both",
    path: ["task_ids"],
  })
  .openapi("BulkAction");

const BulkResultSchema = z
  .object({
    action: z.enum(["retry", "cancel"]),
    dry_run: z.boolean(),
    matched: z.number().int(),
    results: z.array(z.object({ task_id: z.string(), outcome: z.string() })),
    summary: z.record(z.string(), z.number().int()),
  })
  .openapi("BulkActionResult");

class DryRun extends Error {}

export function bulkActionRoutes({ db, registry, maxBatch }: BulkActionDependencies) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tasks/bulk-actions",
      summary: "Retry or cancel many executions, all or nothing",
      tags: ["executions"],
      middleware: [requireScope("operate")] as const,
      request: {
        body: { content: { "application/json": { schema: BulkActionBody } }, required: true },
      },
      responses: {
        200: {
          description: "Outcome per execution",
          content: { "application/json": { schema: BulkResultSchema } },
        },
        422: {
          description: "Too many executions selected",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.task_ids && body.task_ids.length > maxBatch) {
        throw tooMany(body.task_ids.length, maxBatch);
      }
      let report: z.infer<typeof BulkResultSchema> | undefined;
      try {
        await db.transaction().execute(async (trx) => {
          const ids = body.task_ids
            ? [...new Set(body.task_ids)]
            : await selectByFilters(trx, body.filters ?? {}, maxBatch);
          const results: { task_id: string; outcome: string }[] = [];
          for (const id of ids) {
            const outcome =
              body.action === "retry"
                ? await retryExecution(trx, registry, id)
                : await cancelExecution(trx, id);
            results.push({ task_id: id, outcome });
          }
          const summary: Record<string, number> = {};
          for (const { outcome } of results) summary[outcome] = (summary[outcome] ?? 0) + 1;
          report = {
            action: body.action,
            dry_run: body.dry_run,
            matched: ids.length,
            results,
            summary,
          };
          if (body.dry_run) throw new DryRun();
          await recordAudit(
            trx,
            auditEntry(c, `execution.bulk_${body.action}`, ids, "applied", {
              summary,
              filters: body.filters ?? null,
            }),
          );
        });
      } catch (error) {
        if (!(error instanceof DryRun)) throw error;
      }
      return c.json(report as z.infer<typeof BulkResultSchema>, 200);
    },
  );
  return app;
}

async function selectByFilters(
  db: Db,
  filters: z.output<typeof ExecutionFiltersSchema>,
  maxBatch: number,
) {
  const rows = await applyExecutionFilters(db.selectFrom("executions").select("public_id"), filters)
    .orderBy("created_at")
    .orderBy("id")
    .limit(maxBatch + 1)
    .forUpdate()
    .execute();
  if (rows.length > maxBatch) throw tooMany(`more than ${maxBatch}`, maxBatch);
  return rows.map((row) => row.public_id);
}

function tooMany(count: number | string, maxBatch: number) {
  return new ApiError(
    422,
    "too_many_selected",
    `The action selects ${count} executions; at most ${maxBatch} per request (BULK_ACTION_MAX). Narrow the filters.`,
    [{ path: "filters", message: `matches ${count} executions` }],
  );
}
