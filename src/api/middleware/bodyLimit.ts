/**
 * Refuses request bodies above `maxBytes` (`API_MAX_BODY_BYTES`, default 1 MiB) with 413
 * `payload_too_large` in the error format, before any route reads them. A declared
 * Content-Length is checked up front; a chunked body is counted as it streams in.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context.ts";
import { errorBody } from "../errors.ts";

export interface BodyLimitOptions {
  /** Largest accepted body in bytes; default 1 MiB. */
  maxBytes?: number;
}

export function bodyLimit(options: BodyLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const limit = honoBodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      c.json(
        errorBody("payload_too_large", `Request body exceeds the limit of ${maxBytes} bytes`),
        413,
      ),
  });
  return async function limitBodySize(c, next) {
    // A GET or HEAD request carries no body here (a Fetch Request refuses one), so there is
    // nothing to count; asking for it would only build the request's body stream for nothing.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return limit(c, next);
  };
}
