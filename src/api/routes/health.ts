/** Seed 000's health endpoints: overall verdict, per-lane metrics, slow tasks, failures. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Db } from "../../database/pool.ts";
import { laneListPaused } from "../../engine/control/laneState.ts";
import { defaultLanes, laneNames } from "../../engine/lanes.ts";
import { failureListByTask } from "../../monitoring/failures.ts";
import { laneStats, laneThroughput, workerList } from "../../monitoring/fleet.ts";
import { checkHealth, type HealthThresholds } from "../../monitoring/health.ts";
import { executionListSlow } from "../../monitoring/slowTasks.ts";
import type { AppEnv } from "../context.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses } from "../openapi.ts";

export interface HealthRoutesDependencies {
  db: Db;
  thresholds: HealthThresholds;
  laneConcurrency: Partial<Record<string, number>>;
}

const Loose = (name: string) => z.record(z.string(), z.unknown()).openapi(name);
const ok = (name: string, description: string) => ({
  200: { description, content: { "application/json": { schema: Loose(name) } } },
  ...errorResponses,
});

export function healthRoutes({ db, thresholds, laneConcurrency }: HealthRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/health",
      summary: "healthy / degraded / unhealthy, with the reasons",
      tags: ["health"],
      middleware: [requireScope("read")] as const,
      responses: ok("Health", "System health"),
    }),
    async (c) => c.json(await checkHealth(db, thresholds), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/health/queues",
      summary: "Per-lane backlog, throughput, waits and run times",
      tags: ["health"],
      middleware: [requireScope("read")] as const,
      responses: ok("LaneMetrics", "Metrics per lane"),
    }),
    async (c) => {
      const [stats, throughput, paused, workers] = await Promise.all([
        laneStats(db),
        laneThroughput(db),
        laneListPaused(db),
        workerList(db, thresholds.silentAfterMs),
      ]);
      const alive = workers.filter((worker) => worker.alive);
      const lanes = laneNames.map((lane) => {
        const s = stats.get(lane);
        const t = throughput.get(lane);
        return {
          lane,
          priority: defaultLanes[lane].priority,
          concurrency: laneConcurrency[lane] ?? defaultLanes[lane].concurrency,
          paused: paused.has(lane),
          queued: s?.queued ?? 0,
          scheduled: s?.scheduled ?? 0,
          running: s?.running ?? 0,
          retrying: s?.retrying ?? 0,
          dead: s?.dead ?? 0,
          oldest_waiting_seconds: s?.oldest_waiting_seconds ?? null,
          throughput_per_minute_5m: (t?.finished_5m ?? 0) / 5,
          throughput_per_minute_60m: (t?.finished_60m ?? 0) / 60,
          mean_wait_seconds: t?.mean_wait_seconds ?? null,
          p95_run_seconds: t?.p95_run_seconds ?? null,
          workers: alive.filter((worker) => worker.lanes.includes(lane)).map((worker) => worker.id),
        };
      });
      return c.json({ lanes, checked_at: new Date().toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/health/slow",
      summary: "Tasks and executions over a run-time threshold",
      tags: ["health"],
      middleware: [requireScope("read")] as const,
      request: {
        query: z
          .object({ threshold: z.coerce.number().positive().max(86_400).default(30) })
          .strict(),
      },
      responses: ok("SlowTasks", "Slow executions"),
    }),
    async (c) => c.json(await executionListSlow(db, c.req.valid("query").threshold), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/health/failures",
      summary: "Failures grouped by task and error class",
      tags: ["health"],
      middleware: [requireScope("read")] as const,
      request: {
        query: z.object({ hours: z.coerce.number().int().min(1).max(720).default(24) }).strict(),
      },
      responses: ok("FailureAnalysis", "Failures"),
    }),
    async (c) => c.json(await failureListByTask(db, c.req.valid("query").hours), 200),
  );
  return app;
}
