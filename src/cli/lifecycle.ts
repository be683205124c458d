import type { Logger } from "../observability/logger.ts";

type Cleanup = () => Promise<void> | void;

/**
 * Runs the registered clean-ups, last registered first, on SIGINT or SIGTERM, then exits.
 * A second signal exits at once.
 */
export class Lifecycle {
  readonly #cleanups: Cleanup[] = [];
  #stopping: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #markStarted: () => void = () => {};
  // A signal during start-up waits for it to finish: a half-registered set of clean-ups
  // would stop the database under runners that are still starting.
  readonly #started = new Promise<void>((resolve) => {
    this.#markStarted = resolve;
  });

  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** Start-up is over (done or failed); signals stop the process from now on. */
  started(): void {
    this.#markStarted();
  }

  onStop(cleanup: Cleanup): void {
    this.#cleanups.push(cleanup);
  }

  handleSignals(): void {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      // The embedded server's library installs handlers that stop PostgreSQL at once, before
      // running jobs could finish; it is stopped here instead, as the last clean-up.
      process.removeAllListeners(signal);
      process.on(signal, () => {
        if (this.#stopping) {
          this.logger.warn({ signal }, "second signal, exiting now");
          process.exit(130);
        }
        this.logger.info({ signal }, "shutting down");
        this.#stopping = this.#started.then(() => this.stop());
        void this.#stopping.then(() => process.exit(0));
      });
    }
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      for (const cleanup of this.#cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.logger.error({ err: error }, "error during shutdown");
        }
      }
    })();
    return this.#stopped;
  }
}
