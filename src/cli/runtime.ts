import { pino } from "pino";
import { type Config, loadConfig } from "../config.ts";
import { type DatabaseHandle, openDatabase } from "../database/connect.ts";
import { migrate } from "../database/migrate.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { Lifecycle } from "./lifecycle.ts";

export interface Runtime {
  config: Config;
  logger: Logger;
  lifecycle: Lifecycle;
  database: DatabaseHandle;
}

export interface RuntimeOptions {
  /** Apply migrations before `body`; default: `MIGRATE_ON_START`. */
  migrate?: boolean;
  /** Stop everything and exit once `body` returns (one-shot commands). */
  exitWhenDone?: boolean;
}

/**
 * What every command needs: configuration, logs, a database and clean stops on signals.
 * If start-up fails, whatever was started (the embedded server included) is stopped again.
 */
export async function withRuntime(
  component: string,
  options: RuntimeOptions,
  body: (runtime: Runtime) => Promise<void>,
): Promise<void> {
  const config = loadConfig();
  // A one-shot command's stdout is its output (tables, JSON for scripts): its logs go to stderr.
  const logger = createLogger(
    config.logLevel,
    { component },
    options.exitWhenDone ? pino.destination(2) : undefined,
  );
  const lifecycle = new Lifecycle(logger);
  lifecycle.handleSignals();
  try {
    const database = await openDatabase(config, logger);
    lifecycle.onStop(() => database.close());
    if (options.migrate ?? config.migrateOnStart) {
      const applied = await migrate(database.pool, { logger });
      logger.info({ applied }, "database schema is current");
    }
    await body({ config, logger, lifecycle, database });
  } catch (error) {
    lifecycle.started();
    await lifecycle.stop();
    throw error;
  }
  lifecycle.started();
  if (options.exitWhenDone) {
    await lifecycle.stop();
    // Exit explicitly: open handles (pools, timers) of libraries must not keep a one-shot
    // command alive.
    process.exit(process.exitCode ?? 0);
  }
}
