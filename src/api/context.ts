import type { Logger } from "../observability/logger.ts";

/** Per-request values set by middleware, typed for every route. */
export interface AppEnv {
  Variables: {
    logger: Logger;
    requestId: string;
  };
}
