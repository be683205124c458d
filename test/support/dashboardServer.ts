/**
 * The API process as the dashboard's browser tests need it: the real app over real HTTP on
 * loopback, over this file's database, with the call center's services (see services.ts), every
 * task in `tasks/` (plus a test's own), the repository's crontab, live events, and a worker
 * running the tasks. Stopped after the file.
 */
import { afterAll } from "vitest";
import { z } from "zod";
import { type AppDependencies, createApp } from "../../src/api/app.ts";
import { EventHub } from "../../src/api/events/eventHub.ts";
import { listen } from "../../src/api/server.ts";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { createPool, type Db, type Pool } from "../../src/database/pool.ts";
import { loadCrontab } from "../../src/engine/crontab.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { type AnyTask, defineTask } from "../../src/engine/task.ts";
import { startWorker, type Worker } from "../../src/engine/worker.ts";
import type { TwilioSimulator } from "../../src/twilio/simulator/simulator.ts";
import { tasks as realTasks } from "../../tasks/index.ts";
import { testDatabaseUrl, testDb } from "./database.ts";
import { silentLogger } from "./engine.ts";
import { startTestServices } from "./services.ts";

export interface DashboardServerOptions {
  /** Tasks besides those in `tasks/`, such as `failsOnceTask()`. */
  tasks?: AnyTask[];
  /** Whether the worker also schedules the crontab's entries; default false (no surprise jobs). */
  cron?: boolean;
  /** Passed to `createApp` over the defaults (settings, say). */
  app?: Partial<AppDependencies>;
}

export interface DashboardServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  db: Db;
  pool: Pool;
  services: CallCenterServices;
  simulator: TwilioSimulator;
  registry: TaskRegistry;
  worker: Worker;
  /** Stops the server, the worker and the live events; safe to call twice. */
  stop(): Promise<void>;
}

const running: DashboardServer[] = [];

/** Waits for one part to stop; names it if it takes too long, so a hang says where it is. */
async function step(part: string, stopping: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${part} did not stop within 15 s`)), 15_000);
  });
  try {
    await Promise.race([stopping, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
afterAll(async () => {
  for (const server of running.splice(0).reverse()) await server.stop();
});

const crontabFile = new URL("../../crontab", import.meta.url).pathname;

export async function startDashboardServer(
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const { pool, db } = testDb();
  const { services, simulator } = await startTestServices();
  const registry = new TaskRegistry([...realTasks, ...(options.tasks ?? [])]);
  const schedule = await loadCrontab(crontabFile, registry, { localTimeZone: "UTC" });
  const hub = new EventHub({ logger: silentLogger });
  await hub.start(pool);
  const app = createApp({
    pool,
    logger: silentLogger,
    registry,
    hub,
    twilio: services.twilio,
    services,
    schedule,
    ...options.app,
  });
  const server = await listen(app, "127.0.0.1", 0);
  const baseUrl = `http://127.0.0.1:${server.port}`;
  services.twilio.publicBaseUrl = baseUrl;

  // A pool of its own: the worker holds a LISTEN connection per lane it serves.
  const workerPool = createPool(testDatabaseUrl(), 20);
  const worker = await startWorker({
    pool: workerPool,
    registry,
    type: "all",
    logger: silentLogger,
    services,
    cronItems: options.cron ? schedule.map((entry) => entry.item) : undefined,
    heartbeatIntervalMs: 500,
    shutdownGraceMs: 1_000,
    preset: { pollInterval: 100 },
  });

  let stopping: Promise<void> | undefined;
  const dashboard: DashboardServer = {
    baseUrl,
    db,
    pool,
    services,
    simulator,
    registry,
    worker,
    stop() {
      stopping ??= (async () => {
        // Open event streams would hold the server's close open. A browser still open may have
        // a request in flight: it gets a second before its connection is cut.
        await step("the live events hub", hub.stop());
        await step("the HTTP server", server.close(1_000));
        await step("the worker", worker.stop());
        await step("the worker's pool", workerPool.end());
      })();
      return stopping;
    },
  };
  running.push(dashboard);
  return dashboard;
}

/**
 * A task whose every execution fails its first attempt and succeeds when run again (an
 * operator's retry). One attempt, so the failure leaves the execution `dead`.
 */
export function failsOnceTask(name = "fails_once") {
  const failed = new Set<string>();
  return defineTask({
    name,
    lane: "realtime",
    payload: z.object({ label: z.string().default("") }),
    maxAttempts: 1,
    run: async ({ label }, ctx) => {
      if (!failed.has(ctx.executionId)) {
        failed.add(ctx.executionId);
        throw new Error(`${name} fails the first time${label ? ` (${label})` : ""}`);
      }
      return { label, succeeded: true };
    },
  });
}
