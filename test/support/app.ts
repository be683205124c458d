import { type AppDependencies, createApp } from "../../src/api/app.ts";
import type { Scope } from "../../src/api/auth/principal.ts";
import { createApiToken } from "../../src/api/auth/tokens.ts";
import type { Pool } from "../../src/database/pool.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { testDb } from "./database.ts";

/** The Hono app over this file's database, for in-memory `app.request()` calls. */
export function testApp(pool: Pool = testDb().pool, options: Partial<AppDependencies> = {}) {
  return createApp({ pool, logger: createLogger("silent"), ...options });
}

let tokenCount = 0;

/** Creates an API token with `scopes` and returns request headers carrying it. */
export async function authHeaders(...scopes: Scope[]): Promise<Record<string, string>> {
  const { token } = await createApiToken(testDb().db, {
    name: `test-${process.pid}-${++tokenCount}`,
    scopes,
  });
  return { authorization: `Bearer ${token}`, "content-type": "application/json" };
}
