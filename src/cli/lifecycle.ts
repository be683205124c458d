import type { Logger } from "../observability/logger.ts";

type Cleanup = () => Promise<void> | void;

/**
 * Runs the registered clean-ups, last registered first, on SIGINT or SIGTERM, then exits.
 * A second signal exits at once.
 */
export class Lifecycle {
  readonly #cleanups: Cleanup[] = [];
  #stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

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
        void this.stop().then(() => process.exit(0));
      });
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const cleanup of this.#cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.logger.error({ err: error }, "error during shutdown");
        }
      }
    })();
    return this.#stopping;
  }
}
