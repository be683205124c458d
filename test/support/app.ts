import { createApp } from "../../src/api/app.ts";
import type { Pool } from "../../src/database/pool.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { testDb } from "./database.ts";

/** The Hono app over this file's database, for in-memory `app.request()` calls. */
export function testApp(pool: Pool = testDb().pool) {
  return createApp({ pool, logger: createLogger("silent") });
}
