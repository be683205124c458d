import { afterAll, describe, expect, it } from "vitest";
import { createPool } from "../../src/database/pool.ts";
import { lanesByWorkerType } from "../../src/engine/lanes.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { minimumPoolSize, startWorker } from "../../src/engine/worker.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { tasks } from "../../tasks/index.ts";
import { testDatabaseUrl } from "../support/database.ts";

const pool = createPool(testDatabaseUrl(), 5);
afterAll(() => pool.end());

describe("a worker's pool", () => {
  it("is refused, naming DATABASE_POOL_SIZE, when its lanes' listeners would leave no connection for queries", async () => {
    const lanes = lanesByWorkerType.all.length;
    await expect(
      startWorker({
        pool,
        registry: new TaskRegistry(tasks),
        type: "all",
        logger: createLogger("silent"),
      }),
    ).rejects.toThrow(
      `a pool of 5 connections is too small for a worker serving ${lanes} lanes: it needs at least ${minimumPoolSize(lanes)} (DATABASE_POOL_SIZE)`,
    );
    // Nothing was registered or taken from the pool.
    expect(pool.totalCount).toBe(0);
  });
});
