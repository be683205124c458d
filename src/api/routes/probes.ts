import { Hono } from "hono";
import { migrationStatus } from "../../database/migrate.ts";
import type { Pool } from "../../database/pool.ts";
import type { AppEnv } from "../context.ts";
import { errorBody } from "../errors.ts";

/** `/healthz`: the process answers. `/readyz`: the database answers and its schema is current. */
export function probeRoutes(pool: Pool) {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      const reason = await notReadyReason(pool);
      if (reason) return c.json(errorBody("not_ready", reason), 503);
      return c.json({ status: "ready" });
    });
}

async function notReadyReason(pool: Pool): Promise<string | undefined> {
  let status: Awaited<ReturnType<typeof migrationStatus>>;
  try {
    status = await migrationStatus(pool);
  } catch (error) {
    return `database unreachable: ${(error as Error).message}`;
  }
  if (!status.graphileWorkerInstalled) return "graphile-worker schema is not installed";
  if (status.edited.length > 0)
    return `applied migrations were edited: ${status.edited.join(", ")}`;
  if (status.pending.length > 0) return `migrations pending: ${status.pending.join(", ")}`;
  return undefined;
}
