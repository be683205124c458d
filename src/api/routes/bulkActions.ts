/**
 * `POST /api/tasks/bulk-actions/`: retry or cancel many executions in ONE transaction — every
 * selected execution changes or none does (see `control/bulkAction.ts`). A filter that matches
 * more than the batch limit is refused (422) rather than truncated. `dry_run` reports the
 * outcomes and changes nothing.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { BulkSelectionTooLarge, executionBulkAction } from "../../control/bulkAction.ts";
import type { Db } from "../../database/pool.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { ErrorSchema, errorResponses, jsonBodyErrorResponses } from "../openapi.ts";
import { operatorOf } from "../operator.ts";
import { ExecutionFiltersSchema } from "../schemas/executionFilters.ts";

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
        ...jsonBodyErrorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const report = await executionBulkAction(db, registry, {
        action: body.action,
        publicIds: body.task_ids,
        filters: body.filters,
        dryRun: body.dry_run,
        maxBatch,
        ...operatorOf(c),
      }).catch((error) => {
        throw error instanceof BulkSelectionTooLarge
          ? tooMany(error.selected, error.maxBatch)
          : error;
      });
      return c.json(
        {
          action: report.action,
          dry_run: report.dryRun,
          matched: report.matched,
          results: report.results.map(({ publicId, outcome }) => ({ task_id: publicId, outcome })),
          summary: report.summary,
        },
        200,
      );
    },
  );
  return app;
}

function tooMany(count: number | string, maxBatch: number) {
  return new ApiError(
    422,
    "too_many_selected",
    `The action selects ${count} executions; at most ${maxBatch} per request (BULK_ACTION_MAX). Narrow the filters.`,
    [{ path: "filters", message: `matches ${count} executions` }],
  );
}
