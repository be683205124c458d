/** Workers and lanes: who is alive, what each lane is doing, and pausing a lane. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { lanePause, laneResume } from "../../control/lane.ts";
import type { Db } from "../../database/pool.ts";
import { laneNames } from "../../engine/lanes.ts";
import { workerList } from "../../monitoring/fleet.ts";
import { laneList } from "../../monitoring/lanes.ts";
import type { AppEnv } from "../context.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses } from "../openapi.ts";
import { operatorOf } from "../operator.ts";

export interface FleetRoutesDependencies {
  db: Db;
  silentAfterMs: number;
  laneConcurrency: Partial<Record<string, number>>;
}

const LaneSchema = z
  .object({
    lane: z.string(),
    priority: z.number().int(),
    concurrency: z.number().int(),
    paused: z.boolean(),
    worker_types: z.array(z.string()),
    waiting: z.number().int(),
    running: z.number().int(),
  })
  .openapi("Lane");

const LaneParam = z.object({
  lane: z.enum(laneNames).openapi({ param: { name: "lane", in: "path" } }),
});

export function fleetRoutes({ db, silentAfterMs, laneConcurrency }: FleetRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/workers",
      summary: "Worker processes: heartbeats and running jobs",
      tags: ["fleet"],
      middleware: [requireScope("read")] as const,
      responses: {
        200: {
          description: "Workers",
          content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const workers = await workerList(db, silentAfterMs);
      return c.json(
        {
          alive: workers.filter((w) => w.alive).length,
          workers: workers.map((w) => ({
            ...w,
            started_at: w.started_at.toISOString(),
            last_seen_at: w.last_seen_at.toISOString(),
            stopped_at: w.stopped_at?.toISOString() ?? null,
          })),
        },
        200,
      );
    },
  );

  async function lanesView() {
    return (await laneList(db, laneConcurrency)).map((view) => ({
      lane: view.lane,
      priority: view.priority,
      concurrency: view.concurrency,
      paused: view.paused,
      worker_types: view.worker_types,
      waiting: view.waiting,
      running: view.running,
    }));
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/lanes",
      summary: "Lanes with priority, concurrency, pause state and backlog",
      tags: ["fleet"],
      middleware: [requireScope("read")] as const,
      responses: {
        200: {
          description: "Lanes",
          content: { "application/json": { schema: z.object({ lanes: z.array(LaneSchema) }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => c.json({ lanes: await lanesView() }, 200),
  );

  for (const verb of ["pause", "resume"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/api/lanes/{lane}/${verb}`,
        summary:
          verb === "pause" ? "Hold the lane's jobs on every worker" : "Release the lane's jobs",
        tags: ["fleet"],
        middleware: [requireScope("operate")] as const,
        request: { params: LaneParam },
        responses: {
          200: { description: "The lane", content: { "application/json": { schema: LaneSchema } } },
          ...errorResponses,
        },
      }),
      async (c) => {
        const { lane } = c.req.valid("param");
        await (verb === "pause" ? lanePause : laneResume)(db, { lane, ...operatorOf(c) });
        const view = (await lanesView()).find((entry) => entry.lane === lane);
        return c.json(view as z.infer<typeof LaneSchema>, 200);
      },
    );
  }
  return app;
}
