/**
 * The schedule: each crontab entry with its time zone, next run and last run (and its
 * execution), and running an entry's task now, with the payload a crontab run would get.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { recordAudit } from "../../control/audit.ts";
import type { Db } from "../../database/pool.ts";
import type { CrontabEntry } from "../../engine/crontab.ts";
import { enqueue } from "../../engine/enqueue.ts";
import { executionStatuses } from "../../engine/executionStatus.ts";
import { cronRunPayload } from "../../engine/jobSpec.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { scheduleList } from "../../monitoring/schedule.ts";
import type { AppEnv } from "../context.ts";
import { asBadRequest, registeredTask, taskStatusUrl } from "../enqueueing.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses, json, notFoundResponse } from "../openapi.ts";
import { auditEntry } from "../operator.ts";

export interface ScheduleRoutesDependencies {
  db: Db;
  /** The crontab's entries, as the scheduler reads them. */
  entries: CrontabEntry[];
  /** The tasks Run now enqueues; default none (every Run now answers 503). */
  registry?: TaskRegistry;
  /** What tasks' `scheduledPayload` are given, as the worker gives them. */
  services?: unknown;
}

const ScheduleInstantSchema = z
  .object({
    at: z.string().openapi({ description: "UTC, ISO 8601", example: "2026-03-08T07:00:00.000Z" }),
    local: z.string().openapi({
      description: "The same instant in the entry's time zone, ISO 8601 with its offset",
      example: "2026-03-08T03:00:00-04:00",
    }),
  })
  .openapi("ScheduleInstant");

const ScheduleEntrySchema = z
  .object({
    identifier: z.string(),
    task: z.string(),
    schedule: z
      .string()
      .openapi({ description: "The five time fields as written", example: "0 2 * * *" }),
    time_zone: z
      .string()
      .openapi({ description: "The zone the fields are read in", example: "America/New_York" }),
    next_run: ScheduleInstantSchema.nullable(),
    last_run: ScheduleInstantSchema.extend({
      execution: z
        .object({ id: z.string(), status: z.enum(executionStatuses) })
        .nullable()
        .openapi({ description: "The execution the run became; null until its job starts" }),
    })
      .nullable()
      .openapi({ description: "When the entry last fired; null if it never did" }),
  })
  .openapi("ScheduleEntry");

const RunNowParam = z.object({
  task_name: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "task_name", in: "path" }, example: "generate_daily_report" }),
});

const RunNowSchema = z
  .object({ task_id: z.string(), task_name: z.string(), status_url: z.string() })
  .openapi("ScheduleRunNow");

export function scheduleRoutes({
  db,
  entries,
  registry = new TaskRegistry([]),
  services,
}: ScheduleRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/schedule",
      summary: "The crontab's entries with their next and last runs",
      tags: ["schedule"],
      middleware: [requireScope("read")] as const,
      responses: {
        200: json(z.object({ entries: z.array(ScheduleEntrySchema) }), "The schedule"),
        ...errorResponses,
      },
    }),
    async (c) => c.json({ entries: await scheduleList(db, entries) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/schedule/{task_name}/run",
      summary: "Run a crontab entry's task now, with the payload a crontab run would get",
      description:
        "Enqueues the task of the first crontab entry naming it, with the entry's payload as " +
        "the task's `scheduledPayload` makes it for this minute. The schedule itself is not " +
        "changed. Audited as `schedule.run_now`.",
      tags: ["schedule"],
      middleware: [requireScope("operate")] as const,
      request: { params: RunNowParam },
      responses: {
        202: json(RunNowSchema, "Enqueued"),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { task_name } = c.req.valid("param");
      const entry = entries.find((candidate) => candidate.task === task_name);
      if (!entry) {
        throw new ApiError(404, "not_found", `No crontab entry runs the task "${task_name}"`, [
          { path: "task_name", message: "no crontab entry has this task" },
        ]);
      }
      const task = registeredTask(registry, entry.task);
      const payload = cronRunPayload(task, entry.item.payload ?? {}, new Date(), services);
      const taskId = await db.transaction().execute(async (trx) => {
        const id = await enqueue(trx, task, payload).catch(asBadRequest);
        await recordAudit(
          trx,
          auditEntry(c, "schedule.run_now", [id], "enqueued", {
            task_name,
            identifier: entry.identifier,
          }),
        );
        return id;
      });
      return c.json({ task_id: taskId, task_name, status_url: taskStatusUrl(taskId) }, 202);
    },
  );
  return app;
}
