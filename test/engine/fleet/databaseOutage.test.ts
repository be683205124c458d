/**
 * A worker rides out a database restart and an outage, and the API says 503 meanwhile, against
 * a PostgreSQL server of this file's own that it crashes and stops.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../../src/api/auth/tokens.ts";
import { type ApiServer, listen } from "../../../src/api/server.ts";
import { migrate } from "../../../src/database/migrate.ts";
import { createDb, createPool, type Db, type Pool } from "../../../src/database/pool.ts";
import { enqueueMany } from "../../../src/engine/enqueue.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { testApp } from "../../support/app.ts";
import { startChildWorker } from "../../support/childWorker.ts";
import { waitFor } from "../../support/engine.ts";
import { quickEcho } from "../../support/fixtures/processTasks.ts";
import { type PrivateServer, startPrivateServer } from "../../support/privateServer.ts";

let server: PrivateServer;
let pool: Pool;
let db: Db;

beforeAll(async () => {
  server = await startPrivateServer();
  pool = createPool(server.url, 4);
  db = createDb(pool);
  await migrate(pool, { logger: createLogger("silent") });
}, 120_000);
afterAll(async () => {
  await pool?.end();
  await server?.remove();
});

async function enqueueEchoes(count: number): Promise<string[]> {
  return waitFor(async () => {
    try {
      return await enqueueMany(
        db,
        Array.from({ length: count }, (_, n) => ({ task: quickEcho, payload: { n } })),
      );
    } catch {
      return undefined; // the pool's connections are still coming back
    }
  }, 30_000);
}

async function allSucceeded(ids: string[]): Promise<void> {
  await waitFor(async () => {
    try {
      const row = await db
        .selectFrom("executions")
        .select((eb) => eb.fn.countAll<number>().as("done"))
        .where("public_id", "in", ids)
        .where("status", "=", "succeeded")
        .executeTakeFirstOrThrow();
      return Number(row.done) === ids.length;
    } catch {
      return false;
    }
  }, 60_000);
}

describe("a database restart and an outage", () => {
  it("leave the worker serving and the API answering 503, then both recover by themselves", async () => {
    const { child, workerId } = await startChildWorker({ databaseUrl: server.url });
    let api: ApiServer | undefined;
    try {
      api = await listen(testApp(pool), "127.0.0.1", 0);
      const { token } = await createApiToken(db, { name: "outage", scopes: ["read"] });
      const list = () =>
        fetch(`http://127.0.0.1:${api?.port}/api/tasks/executions/`, {
          headers: { authorization: `Bearer ${token}` },
        });

      const before = await enqueueEchoes(200);
      await server.restartImmediate();
      const afterRestart = await enqueueEchoes(200);
      await allSucceeded([...before, ...afterRestart]);

      // Away for longer than the worker's silent threshold (2 s).
      await server.stop("fast");
      const during = await list();
      expect(during.status).toBe(503);
      expect(((await during.json()) as { error: { code: string } }).error.code).toBe(
        "database_unavailable",
      );
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      await server.start();
      const afterOutage = await enqueueEchoes(200);
      await allSucceeded(afterOutage);
      await waitFor(async () => (await list()).status === 200, 30_000);

      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();
      const worker = await db
        .selectFrom("workers")
        .select(["stopped_at", "stop_reason"])
        .where("id", "=", workerId)
        .executeTakeFirstOrThrow();
      expect(worker).toEqual({ stopped_at: null, stop_reason: null });
    } finally {
      await api?.close();
    }
  }, 180_000);
});
