/**
 * Structured JSON logs on stdout, with secrets removed and phone numbers masked:
 * - values under secret-bearing keys (`authorization`, `token`, `password`, …), at the top level
 *   or one level down (`headers.authorization`), are replaced by "[redacted]";
 * - phone numbers in E.164 form inside the message and any string field are masked,
 *   `+15551234567` → `+1555***4567`, so call logs can be read without exposing callers.
 */
import { pino } from "pino";
import type { Config } from "../config.ts";

export type Logger = pino.Logger;

const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "cookie",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "authToken",
  "auth_token",
  "apiKey",
  "api_key",
  "password",
  "secret",
  "clientSecret",
  "client_secret",
];

/** pino `redact` paths: each secret key at the top level, one level down, and in headers. */
export const redactPaths = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.headers.${key}`),
];

/** `+` and 8 to 15 digits, not inside a longer run of digits. */
const E164 = /(?<![\d+])\+[1-9]\d{7,14}(?!\d)/g;

/** Masks every E.164 number in `text`: `+15551234567` → `+1555***4567`. */
export function maskPhoneNumbers(text: string): string {
  if (!text.includes("+")) return text;
  return text.replace(E164, (number) => {
    const digits = number.slice(1);
    const tail = digits.length >= 10 ? 4 : 2;
    const head = Math.max(1, Math.min(4, digits.length - tail - 3));
    return `+${digits.slice(0, head)}***${digits.slice(-tail)}`;
  });
}

const MAX_DEPTH = 8;

/**
 * Masks phone numbers in the strings of plain objects and arrays. Returns the same reference
 * when nothing changed, and never mutates its input (it may be the caller's object).
 */
export function maskPhoneNumbersDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskPhoneNumbers(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const masked = maskPhoneNumbersDeep(item, depth + 1);
      if (masked !== item) {
        copy ??= [...value];
        copy[index] = masked;
      }
    });
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const masked = maskPhoneNumbersDeep(item, depth + 1);
    if (masked !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = masked;
    }
  }
  return copy ?? value;
}

/** The options of every logger: level, base bindings, redaction and masking. */
export function loggerOptions(
  level: Config["logLevel"],
  bindings: Record<string, unknown> = {},
): pino.LoggerOptions {
  return {
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: "[redacted]" },
    serializers: {
      err: (error) => {
        const serialized = pino.stdSerializers.err(error);
        if (typeof serialized?.message === "string") {
          serialized.message = maskPhoneNumbers(serialized.message);
        }
        if (typeof serialized?.stack === "string")
          serialized.stack = maskPhoneNumbers(serialized.stack);
        return serialized;
      },
    },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (values) => maskPhoneNumbersDeep(values) as Record<string, unknown>,
    },
    hooks: {
      // The merging object, the message and its printf-style arguments, before pino formats them.
      logMethod(args, method) {
        const masked = args.map((arg) => maskPhoneNumbersDeep(arg)) as Parameters<typeof method>;
        return method.apply(this, masked);
      },
    },
  };
}

/** Structured JSON logs on stdout (or on `destination`, e.g. a stream in tests). */
export function createLogger(
  level: Config["logLevel"],
  bindings: Record<string, unknown> = {},
  destination?: pino.DestinationStream,
): Logger {
  const options = loggerOptions(level, bindings);
  return destination ? pino(options, destination) : pino(options);
}
