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
import { payloadFromArgs } from "../../engine/positionalArgs.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import type { EnqueueOptions } from "../../engine/types.ts";
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
    positional_args: z
      .array(z.string())
      .nullable()
      .openapi({ description: "The payload fields that positional args fill, in order" }),
    payload_schema: z.unknown(),
  })
  .openapi("Task");

const MAX_DELAY_SECONDS = 365 * 86_400;

const seconds = (field: string) =>
  z
    .number({ error: `${field} must be a number of seconds` })
    .min(0, `${field} must not be negative`)
    .max(MAX_DELAY_SECONDS, `${field} must be at most ${MAX_DELAY_SECONDS} (a year)`);

const ExecuteOptions = z
  .object({
    delay_seconds: seconds("delay_seconds").optional(),
    countdown: seconds("countdown")
      .optional()
      .openapi({ description: "Celery's countdown: run this many seconds from now" }),
    run_at: isoTimestamp("run_at").optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    job_key: z.string().min(1).max(512).optional(),
    max_attempts: z.number().int().min(1).max(1000).optional(),
    expires_at: isoTimestamp("expires_at").optional(),
    expires: z
      .union(
        [
          z
            .number()
            .positive("expires must be a positive number of seconds")
            .max(MAX_DELAY_SECONDS, `expires must be at most ${MAX_DELAY_SECONDS} seconds`),
          isoTimestamp("expires"),
        ],
        { error: "expires must be seconds from now or an ISO 8601 date-time with its offset" },
      )
      .optional()
      .openapi({
        description:
          "Celery's expires: seconds from now, or an ISO 8601 date-time with its offset. A job " +
          "not started by then is not run and ends expired.",
      }),
    correlation_id: z.string().min(1).max(200).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const runTimes = (["countdown", "delay_seconds", "run_at"] as const).filter(
      (field) => o[field] !== undefined,
    );
    for (const field of runTimes.slice(1)) {
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `give one of countdown, delay_seconds and run_at (${runTimes.join(" and ")} given)`,
      });
    }
    if (o.expires !== undefined && o.expires_at !== undefined) {
      ctx.addIssue({ code: "custom", path: ["expires"], message: "give expires or expires_at" });
      return;
    }
    if (runTimes.length > 1) return;
    const expiryField = o.expires !== undefined ? "expires" : "expires_at";
    const expiry = o.expires ?? o.expires_at;
    // A non-positive `expires` is refused by its own check already.
    if (expiry === undefined || (typeof expiry === "number" && expiry <= 0)) return;
    const now = Date.now();
    const runAt =
      o.run_at !== undefined
        ? Date.parse(o.run_at)
        : now + (o.countdown ?? o.delay_seconds ?? 0) * 1000;
    const expiresAt = typeof expiry === "number" ? now + expiry * 1000 : Date.parse(expiry);
    if (expiresAt <= runAt) {
      ctx.addIssue({
        code: "custom",
        path: [expiryField],
        message:
          runAt > now
            ? `${expiryField} is before the job's run time`
            : `${expiryField} is already past`,
      });
    }
  });

const ExecuteBody = z
  .object({
    payload: z.record(z.string(), z.unknown()).optional(),
    kwargs: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "Celery-style alias of payload" }),
    args: z
      .array(z.unknown())
      .max(100)
      .optional()
      .openapi({
        description:
          "Celery-style positional arguments, for a task that lists positional_args: they fill " +
          "those payload fields in order, beside kwargs",
      }),
    options: ExecuteOptions.optional(),
  })
  .strict()
  .refine((body) => !(body.payload && body.kwargs), {
    message: "give payload or kwargs, not both",
    path: ["kwargs"],
  })
  .openapi("ExecuteTask");

/** The execute route's options as the engine takes them. */
function enqueueOptions(o: z.output<typeof ExecuteOptions>): EnqueueOptions {
  const delaySeconds = o.countdown ?? o.delay_seconds;
  return {
    ...(delaySeconds !== undefined ? { delayMs: Math.round(delaySeconds * 1000) } : {}),
    ...(o.run_at ? { runAt: new Date(o.run_at) } : {}),
    ...(o.priority !== undefined ? { priority: o.priority } : {}),
    ...(o.job_key ? { jobKey: o.job_key } : {}),
    ...(o.max_attempts ? { maxAttempts: o.max_attempts } : {}),
    ...(o.expires_at ? { expiresAt: new Date(o.expires_at) } : {}),
    ...(typeof o.expires === "number" ? { expiresInMs: Math.round(o.expires * 1000) } : {}),
    ...(typeof o.expires === "string" ? { expiresAt: new Date(o.expires) } : {}),
    ...(o.correlation_id ? { correlationId: o.correlation_id } : {}),
  };
}

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
            positional_args: task.positionalArgs ? [...task.positionalArgs] : null,
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
      const named = body.payload ?? body.kwargs ?? {};
      let payload: Record<string, unknown>;
      try {
        payload = payloadFromArgs(task, body.args ?? [], named, {
          args: "args",
          named: body.payload ? "payload" : "kwargs",
        });
      } catch (error) {
        asBadRequest(error);
      }
      const taskId = await db.transaction().execute(async (trx) => {
        const id = await enqueue(trx, task, payload, enqueueOptions(body.options ?? {})).catch(
          asBadRequest,
        );
        await recordAudit(trx, auditEntry(c, "task.execute", [id], "enqueued", { task_name }));
        return id;
      });
      return c.json({ task_id: taskId, task_name, status_url: taskStatusUrl(taskId) }, 202);
    },
  );
  return app;
}
