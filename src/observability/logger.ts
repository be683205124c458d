/**
 * Structured JSON logs on stdout, with secrets removed and phone numbers masked:
 * - values under secret-bearing keys (`authorization`, `token`, `password`, …), at any depth
 *   (`headers.authorization`, `twilio.auth_token`), are replaced by "[redacted]";
 * - phone numbers in E.164 form inside the message and any string field are masked,
 *   `+15551234567` → `+1555***4567`, so call logs can be read without exposing callers.
 * Both happen in one pass over what is logged (fields, message, bindings, serialized errors),
 * instead of pino's `redact`, whose path matching copies the object on every line.
 */
import { pino } from "pino";
import type { Config } from "../config.ts";

export type Logger = pino.Logger;

const SECRET_KEYS = new Set([
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
]);

const CENSORED = "[redacted]";

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
 * What may be logged of `value`: in plain objects and arrays, values under secret-bearing keys
 * become "[redacted]" and phone numbers in strings are masked. Returns the same reference when
 * nothing changed, and never mutates its input (it may be the caller's object).
 */
export function scrubForLog(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskPhoneNumbers(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const scrubbed = scrubForLog(item, depth + 1);
      if (scrubbed !== item) {
        copy ??= [...value];
        copy[index] = scrubbed;
      }
    });
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    const scrubbed = SECRET_KEYS.has(key) ? CENSORED : scrubForLog(item, depth + 1);
    if (scrubbed !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = scrubbed;
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
    serializers: {
      err: (error) => {
        const serialized = pino.stdSerializers.err(error);
        // The serialized error has a prototype of its own; its fields are scrubbed as a plain
        // object's.
        return scrubForLog(serialized === error ? error : { ...serialized });
      },
    },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (values) => scrubForLog(values) as Record<string, unknown>,
    },
    hooks: {
      // The merging object, the message and its printf-style arguments, before pino formats them.
      logMethod(args, method) {
        const scrubbed = args.map((arg) => scrubForLog(arg)) as Parameters<typeof method>;
        return method.apply(this, scrubbed);
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
  const logger = destination ? pino(options, destination) : pino(options);
  // pino formats the bindings of the root logger only; children (which inherit this) scrub
  // theirs here.
  const pinoChild = logger.child;
  logger.child = function scrubbedChild(this: Logger, childBindings, childOptions) {
    return pinoChild.call(this, scrubForLog(childBindings) as pino.Bindings, childOptions);
  } as Logger["child"];
  return logger;
}
