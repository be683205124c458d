/** The schedule: each crontab entry with its time zone, next run and last run (and its execution). */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Db } from "../../database/pool.ts";
import type { CrontabEntry } from "../../engine/crontab.ts";
import { executionStatuses } from "../../engine/executionStatus.ts";
import { scheduleList } from "../../monitoring/schedule.ts";
import type { AppEnv } from "../context.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses, json } from "../openapi.ts";

export interface ScheduleRoutesDependencies {
  db: Db;
  /** The crontab's entries, as the scheduler reads them. */
  entries: CrontabEntry[];
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

export function scheduleRoutes({ db, entries }: ScheduleRoutesDependencies) {
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
  return app;
}
