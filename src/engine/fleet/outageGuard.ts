/**
 * graphile-worker writes a job's completion without waiting for it, so when the database goes
 * away as a job ends, the write's rejection is unhandled and Node ends the process. While a
 * worker runs, such a rejection is logged instead (the job is settled later, see
 * `leakedJobs.ts`); any other unhandled rejection still ends the process, as it would have.
 */
import { isDatabaseUnavailable } from "../../database/unavailable.ts";
import type { Logger } from "../../observability/logger.ts";

let holders = 0;
let listener: ((reason: unknown) => void) | undefined;

/** Installs the guard for as long as the returned function is not called. */
export function rideOutDatabaseOutages(logger: Logger): () => void {
  if (holders++ === 0) {
    listener = (reason) => {
      if (!isDatabaseUnavailable(reason)) throw reason;
      logger.warn({ err: reason }, "a write failed while the database was unreachable");
    };
    process.on("unhandledRejection", listener);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0 && listener) {
      process.off("unhandledRejection", listener);
      listener = undefined;
    }
  };
}
