import { Logger as GraphileLogger, type LogLevel } from "graphile-worker";
import type { Logger } from "./logger.ts";

const levels: Record<LogLevel, "error" | "warn" | "info" | "debug"> = {
  error: "error",
  warning: "warn",
  info: "info",
  debug: "debug",
};

/**
 * Routes graphile-worker's own log lines into our structured logger. graphile-worker asks for
 * a scoped logger for every job, so the child logger is only made when a line is written.
 */
export function toGraphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => {
    let scoped: Logger | undefined;
    return (level, message, meta) => {
      const method = levels[level];
      if (!logger.isLevelEnabled(method)) return;
      scoped ??= logger.child({ source: "graphile-worker", ...scope });
      scoped[method](meta ?? {}, message);
    };
  });
}
