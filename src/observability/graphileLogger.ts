import { Logger as GraphileLogger, type LogLevel } from "graphile-worker";
import type { Logger } from "./logger.ts";

const levels: Record<LogLevel, "error" | "warn" | "info" | "debug"> = {
  error: "error",
  warning: "warn",
  info: "info",
  debug: "debug",
};

/** Routes graphile-worker's own log lines into our structured logger. */
export function toGraphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => {
    const scoped = logger.child({ source: "graphile-worker", ...scope });
    return (level, message, meta) => scoped[levels[level]](meta ?? {}, message);
  });
}
