import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../observability/logger.ts";
import type { AppEnv } from "../context.ts";

export interface RequestLoggerOptions {
  logger: Logger;
  /** Paths logged at debug level only (probes hit them constantly). */
  quietPaths?: string[];
}

/** Gives each request a child logger bound to its request id and logs one line when it ends. */
export function requestLogger(options: RequestLoggerOptions): MiddlewareHandler<AppEnv> {
  const quiet = new Set(options.quietPaths ?? ["/healthz", "/readyz"]);
  return async function logRequest(c, next) {
    const started = performance.now();
    const logger = options.logger.child({ requestId: c.get("requestId") });
    c.set("logger", logger);
    await next();
    const line = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (quiet.has(c.req.path)) logger.debug(line, "request");
    else logger.info(line, "request");
  };
}
