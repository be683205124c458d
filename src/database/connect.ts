import type { Config } from "../config.ts";
import type { Logger } from "../observability/logger.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { findRunningEmbedded } from "./embeddedRecord.ts";
import { createDb, createPool, type Db, describeDatabaseUrl, type Pool } from "./pool.ts";

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  pool: Pool;
  db: Db;
  close(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL`, or, when it is not set, to the embedded server already running on
 * its data folder (another command's, e.g. `npm start`), or else boots that server.
 * `close()` ends the pool and stops the embedded server if this process started it.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  const { dataDir, port } = config.embeddedPostgres;
  const running = config.databaseUrl ? undefined : await findRunningEmbedded(dataDir);
  const embedded =
    config.databaseUrl || running
      ? undefined
      : await startEmbeddedPostgres({ dataDir, port, logger });
  const url = config.databaseUrl ?? running?.url ?? (embedded?.url as string);
  const pool = createPool(url, config.databasePoolSize);
  const db = createDb(pool);
  if (config.databaseUrl) {
    logger.info(
      { database: describeDatabaseUrl(url), embedded: false },
      "using PostgreSQL from DATABASE_URL",
    );
  } else if (running) {
    logger.info(
      {
        database: describeDatabaseUrl(url),
        embedded: true,
        dataDir,
        serverPid: running.record.pid,
      },
      "using the running embedded PostgreSQL",
    );
  } else {
    logger.info(
      { database: describeDatabaseUrl(url), embedded: true, dataDir },
      "using embedded PostgreSQL",
    );
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    embedded: !config.databaseUrl,
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
