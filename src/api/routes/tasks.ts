/**
 * The registered tasks, and execute-by-name (seed 003): `POST /api/tasks/{task_name}/execute/`
 * validates the payload with the task's own schema and enqueues it.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { recordAudit } from "../../control/audit.ts";
import type { Db } from "../../database/pool.ts";
import { isoTimestamp } from "../../database/storableTimestamp.ts";
import { enqueue } from "../../engine/enqueue.ts";
import { defaultLanes } from "../../engine/lanes.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import type { AppEnv } from "../context.ts";
import { asBadRequest, taskStatusUrl } from "../enqueueing.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses, jsonBodyErrorResponses, notFoundResponse } from "../openapi.ts";
import { auditEntry } from "../operator.ts";

export interface TaskRoutesDependencies {
  db: Db;
  registry: TaskRegistry;
}

const TaskSchema = z
  .object({
    name: z.string(),
    lane: z.string(),
    priority: z.number().int(),
    max_attempts: z.number().int(),
    soft_time_limit_seconds: z.number(),
    hard_time_limit_seconds: z.number(),
    rate_limit: z.object({ key: z.string(), limit: z.string() }).nullable(),
    payload_schema: z.unknown(),
  })
  .openapi("Task");

const ExecuteBody = z
  .object({
    payload: z.record(z.string(), z.unknown()).optional(),
    kwargs: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "Celery-style alias of payload" }),
    args: z
      .array(z.unknown())
      .max(0, "positional args are not supported; name them in payload")
      .optional(),
    options: z
      .object({
        delay_seconds: z
          .number()
          .min(0)
          .max(365 * 86_400)
          .optional(),
        run_at: isoTimestamp("run_at").optional(),
        priority: z.number().int().min(-1000).max(1000).optional(),
        job_key: z.string().min(1).max(512).optional(),
        max_attempts: z.number().int().min(1).max(1000).optional(),
        expires_at: isoTimestamp("expires_at").optional(),
        correlation_id: z.string().min(1).max(200).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((body) => !(body.payload && body.kwargs), {
    message: "give payload or kwargs, not both",
    path: ["kwargs"],
  })
  .openapi("ExecuteTask");

export function taskRoutes({ db, registry }: TaskRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks",
      summary: "Registered tasks with their lane and payload JSON schema",
      tags: ["tasks"],
      middleware: [requireScope("read")] as const,
      responses: {
        200: {
          description: "Tasks",
          content: { "application/json": { schema: z.object({ tasks: z.array(TaskSchema) }) } },
        },
        ...errorResponses,
      },
    }),
    (c) =>
      c.json(
        {
          tasks: registry.all().map((task) => ({
            name: task.name,
            lane: task.lane,
            priority: defaultLanes[task.lane].priority,
            max_attempts: task.maxAttempts,
            soft_time_limit_seconds: task.softTimeLimitMs / 1000,
            hard_time_limit_seconds: task.hardTimeLimitMs / 1000,
            rate_limit: task.rateLimit ?? null,
            payload_schema: z.toJSONSchema(task.payload, { io: "input", unrepresentable: "any" }),
          })),
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tasks/{task_name}/execute",
      summary: "Enqueue a task by name",
      tags: ["tasks"],
      middleware: [requireScope("operate")] as const,
      request: {
        params: z.object({
          task_name: z
            .string()
            .min(1)
            .max(200)
            .openapi({ param: { name: "task_name", in: "path" } }),
        }),
        body: { content: { "application/json": { schema: ExecuteBody } }, required: true },
      },
      responses: {
        202: {
          description: "Enqueued",
          content: {
            "application/json": {
              schema: z.object({
                task_id: z.uuid(),
                task_name: z.string(),
                status_url: z.string(),
              }),
            },
          },
        },
        ...errorResponses,
        ...jsonBodyErrorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { task_name } = c.req.valid("param");
      const body = c.req.valid("json");
      const task = registry.get(task_name);
      if (!task)
        throw new ApiError(404, "not_found", `No task named "${task_name}"`, [
          { path: "task_name", message: "unknown task" },
        ]);
      const o = body.options ?? {};
      const taskId = await db.transaction().execute(async (trx) => {
        const id = await enqueue(trx, task, body.payload ?? body.kwargs ?? {}, {
          ...(o.delay_seconds !== undefined ? { delayMs: Math.round(o.delay_seconds * 1000) } : {}),
          ...(o.run_at ? { runAt: new Date(o.run_at) } : {}),
          ...(o.priority !== undefined ? { priority: o.priority } : {}),
          ...(o.job_key ? { jobKey: o.job_key } : {}),
          ...(o.max_attempts ? { maxAttempts: o.max_attempts } : {}),
          ...(o.expires_at ? { expiresAt: new Date(o.expires_at) } : {}),
          ...(o.correlation_id ? { correlationId: o.correlation_id } : {}),
        }).catch(asBadRequest);
        await recordAudit(trx, auditEntry(c, "task.execute", [id], "enqueued", { task_name }));
        return id;
      });
      return c.json({ task_id: taskId, task_name, status_url: taskStatusUrl(taskId) }, 202);
    },
  );
  return app;
}
