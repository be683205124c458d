/**
 * `POST /api/tasks/purge/` (admin): cancel every waiting execution of a lane, of a task, or of a
 * task in a lane, however many, in batches, with one audit row (see `control/purge.ts`). The
 * task need not be one this process knows: purging the jobs of a removed task is the point.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { executionPurge } from "../../control/purge.ts";
import type { Db } from "../../database/pool.ts";
import type { AppEnv } from "../context.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { body, errorResponses, json, jsonBodyErrorResponses } from "../openapi.ts";
import { operatorOf } from "../operator.ts";
import { executionFilterFields } from "../schemas/executionFilters.ts";

export interface PurgeRoutesDependencies {
  db: Db;
}

const PurgeBody = z
  .object({ lane: executionFilterFields.lane, task_name: executionFilterFields.task_name })
  .strict()
  .refine((purge) => purge.lane !== undefined || purge.task_name !== undefined, {
    message: "give lane, task_name or both: a purge needs one",
    path: ["lane"],
  })
  .openapi("Purge");

const PurgeResultSchema = z
  .object({
    lane: z.string().nullable(),
    task_name: z.string().nullable(),
    cancelled: z.number().int(),
    cancel_requested: z
      .number()
      .int()
      .openapi({ description: "executions a worker had just taken: it is asked to stop them" }),
    batches: z.number().int(),
    audit_id: z.number().int(),
  })
  .openapi("PurgeResult");

export function purgeRoutes({ db }: PurgeRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tasks/purge",
      summary: "Cancel every waiting execution of a lane or a task (Celery's purge_queue)",
      tags: ["executions"],
      middleware: [requireScope("admin")] as const,
      request: body(PurgeBody),
      responses: {
        200: json(PurgeResultSchema, "What was cancelled"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
      },
    }),
    async (c) => {
      const { lane, task_name } = c.req.valid("json");
      const report = await executionPurge(db, { lane, taskName: task_name, ...operatorOf(c) });
      return c.json(
        {
          lane: lane ?? null,
          task_name: task_name ?? null,
          cancelled: report.cancelled,
          cancel_requested: report.cancelRequested,
          batches: report.batches,
          audit_id: report.auditId,
        },
        200,
      );
    },
  );
  return app;
}
