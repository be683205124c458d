import { pino } from "pino";
import type { Config } from "../config.ts";

export type Logger = pino.Logger;

/** Structured JSON logs on stdout. */
export function createLogger(
  level: Config["logLevel"],
  bindings: Record<string, unknown> = {},
): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
