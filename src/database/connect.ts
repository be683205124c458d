import type { Config } from "../config.ts";
import type { Logger } from "../observability/logger.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { createDb, createPool, type Db, describeDatabaseUrl, type Pool } from "./pool.ts";

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  pool: Pool;
  db: Db;
  close(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL`, or, when it is not set, boots the embedded server in its data
 * folder. `close()` ends the pool and stops the embedded server, if any.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.embeddedPostgres.dataDir,
        port: config.embeddedPostgres.port,
        logger,
      });
  const url = config.databaseUrl ?? (embedded?.url as string);
  const pool = createPool(url, config.databasePoolSize);
  const db = createDb(pool);
  logger.info(
    {
      database: describeDatabaseUrl(url),
      embedded: Boolean(embedded),
      ...(embedded ? { dataDir: config.embeddedPostgres.dataDir } : {}),
    },
    embedded ? "using embedded PostgreSQL" : "using PostgreSQL from DATABASE_URL",
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    embedded: Boolean(embedded),
    pool,
    db,
    close: () => {
      closing ??= (async () => {
        await db.destroy();
        await pool.end();
        await embedded?.stop();
      })();
      return closing;
    },
  };
}
