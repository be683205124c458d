import { describe, expect, it } from "vitest";
import { Lifecycle } from "../../src/cli/lifecycle.ts";
import { startSimulatedCallCenter } from "../../src/cli/simulatedCallCenter.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { testDb } from "../support/database.ts";
import { db } from "../support/engine.ts";
import { startTestServices } from "../support/services.ts";

function runtime(env: Record<string, string>) {
  const logger = createLogger("silent");
  const { pool, db: handle } = testDb();
  return {
    config: loadConfig(env),
    logger,
    lifecycle: new Lifecycle(logger),
    database: { url: "", embedded: false, pool, db: handle, close: async () => {} },
  };
}

const seeded = async () =>
  (await db().selectFrom("call_queues").select("name").execute()).map((row) => row.name);

describe("startSimulatedCallCenter", () => {
  it("never plays with Twilio credentials set, nor at zero calls per minute", async () => {
    const { services } = await startTestServices();
    const live = runtime({
      TWILIO_ACCOUNT_SID: `AC${"1".repeat(32)}`,
      TWILIO_AUTH_TOKEN: "f".repeat(32),
    });
    expect(await startSimulatedCallCenter(live, services, "http://127.0.0.1:9")).toBeUndefined();
    const off = runtime({ SIMULATED_INBOUND_CALLS_PER_MINUTE: "0" });
    expect(await startSimulatedCallCenter(off, services, "http://127.0.0.1:9")).toBeUndefined();
    // Nothing was seeded and no desk token made.
    expect(await seeded()).toEqual([]);
    expect(await db().selectFrom("api_tokens").select("id").execute()).toEqual([]);
  });
});
