/** Helpers for engine tests: a worker over this file's database and ways to wait on the ledger. */
import { sql } from "kysely";
import { afterEach } from "vitest";
import { createDb, createPool, type Db, type Pool } from "../../src/database/pool.ts";
import type { Execution } from "../../src/database/schema.ts";
import type { ExecutionStatus } from "../../src/engine/executionStatus.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import type { AnyTask } from "../../src/engine/task.ts";
import { startWorker, type Worker, type WorkerOptions } from "../../src/engine/worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { testDatabaseUrl, testDb } from "./database.ts";

const started: { worker: Worker; pool: Pool }[] = [];

afterEach(async () => {
  await Promise.all(
    started.splice(0).map(async ({ worker, pool }) => {
      await worker.stop();
      await pool.end();
    }),
  );
});

export const silentLogger = createLogger("silent");

/** Starts a worker of type `all` serving `tasks`, stopped after the test. */
export async function startTestWorker(
  tasks: AnyTask[],
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const pool = createPool(testDatabaseUrl(), 20);
  const worker = await startWorker({
    pool,
    registry: new TaskRegistry(tasks),
    type: "all",
    logger: silentLogger,
    heartbeatIntervalMs: 500,
    shutdownGraceMs: 1_000,
    ...options,
    preset: { pollInterval: 100, ...options.preset },
  });
  started.push({ worker, pool });
  return worker;
}

export function db(): Db {
  return testDb().db;
}

export async function execution(publicId: string, handle: Db = db()): Promise<Execution> {
  return handle
    .selectFrom("executions")
    .selectAll()
    .where("public_id", "=", publicId)
    .executeTakeFirstOrThrow();
}

/** Polls the ledger until the execution reaches one of `statuses`; returns it. */
export async function waitForStatus(
  publicId: string,
  statuses: ExecutionStatus | ExecutionStatus[],
  timeoutMs = 15_000,
): Promise<Execution> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await execution(publicId);
    if (wanted.includes(row.status)) return row;
    if (Date.now() > deadline) {
      throw new Error(
        `execution ${publicId} is ${row.status}, not ${wanted.join("/")} after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function jobCount(handle: Db = db()): Promise<number> {
  const row = await handle
    .selectFrom("graphile_worker.jobs" as never)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export { createDb };

/**
 * Starts a test from an empty queue and no live worker: every worker row stopped, every job and
 * execution deleted.
 */
export async function emptyQueue(): Promise<void> {
  await db()
    .updateTable("workers")
    .set({ stopped_at: sql`now()` })
    .where("stopped_at", "is", null)
    .execute();
  await sql`delete from graphile_worker._private_jobs`.execute(db());
  await db().deleteFrom("executions").execute();
}
