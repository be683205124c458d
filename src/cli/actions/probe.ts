import { hostname } from "node:os";
import { sql } from "kysely";
import { loadConfig } from "../../config.ts";
import { createDb, createPool } from "../../database/pool.ts";
import { workerList } from "../../monitoring/fleet.ts";

type Part = "api" | "worker" | "database";

export async function runProbe(part: Part, options: { url: string; timeout: string }) {
  const timeoutMs = Number(options.timeout) * 1000;
  if (!(timeoutMs > 0)) return fail("--timeout must be a positive number of seconds");
  try {
    const verdict = await Promise.race([
      probe(part, options.url, timeoutMs),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${options.timeout} s`)),
          timeoutMs,
        ).unref(),
      ),
    ]);
    console.log(verdict);
    process.exit(0);
  } catch (error) {
    fail((error as Error).message);
  }
}

function fail(message: string): never {
  console.error(`probe: ${message}`);
  process.exit(1);
}

async function probe(part: Part, url: string, timeoutMs: number): Promise<string> {
  if (part === "api") {
    const response = await fetch(new URL("/readyz", url), {
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((error: Error) => {
      throw new Error(
        `cannot reach ${url}: ${(error.cause as Error | undefined)?.message ?? error.message}`,
      );
    });
    if (!response.ok) throw new Error(`${url}/readyz answered ${response.status}`);
    return `api ready at ${url}`;
  }
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error("DATABASE_URL is not set");
  const pool = createPool(config.databaseUrl, 1);
  try {
    const db = createDb(pool);
    if (part === "database") {
      await sql`select 1`.execute(db);
      return "database answers";
    }
    const host = hostname();
    const alive = (await workerList(db, config.worker.silentAfterMs)).filter(
      (worker) => worker.alive && worker.host === host,
    );
    if (alive.length === 0) throw new Error(`no live worker on host ${host}`);
    return alive.map((worker) => `worker ${worker.id} (${worker.type}) alive`).join("\n");
  } finally {
    await pool.end();
  }
}
