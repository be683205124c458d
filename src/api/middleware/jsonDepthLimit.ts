/**
 * Refuses a JSON request body nested deeper than `maxDepth` arrays and objects (default 64) with
 * 400 `validation_failed` naming the top-level field that holds the nesting. Parsing a deep body
 * is safe, but writing it again is not: JSON.stringify (the PostgreSQL driver's, a response's)
 * recurses and overflows the stack some thousands of levels down, a 500 long after the request
 * was accepted.
 *
 * The body is measured as text, without parsing it; only a refused body is parsed, to name the
 * field. A body that is not JSON passes through for the route's validator to refuse.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

export interface JsonDepthLimitOptions {
  /** Deepest nesting of arrays and objects accepted; `{"a": [1]}` is 2 deep. Default 64. */
  maxDepth?: number;
}

const DEFAULT_MAX_JSON_DEPTH = 64;

// The media types the routes' validators read as JSON.
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export function jsonDepthLimit(options: JsonDepthLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  return async function limitJsonDepth(c, next) {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (c.req.method === "GET" || c.req.method === "HEAD" || !JSON_MEDIA_TYPE.test(mediaType)) {
      return next();
    }
    const text = await c.req.text().catch(() => undefined);
    if (text === undefined || jsonTextDepth(text) <= maxDepth) return next();
    const field = fieldNestedBeyond(text, maxDepth);
    if (field === undefined) return next();
    const message = `nested deeper than ${maxDepth} levels of arrays and objects`;
    throw new ApiError(400, "validation_failed", `Invalid json: ${field}`, [
      { path: field, message },
    ]);
  };
}

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;

/** The deepest nesting of brackets and braces outside strings; JSON syntax is not checked. */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/**
 * The top-level key (or index) under which the JSON `text` nests deeper than `maxDepth`, or
 * "(root)" when the body itself does; undefined when `text` is not JSON or is not that deep.
 * Walks without recursion.
 */
function fieldNestedBeyond(text: string, maxDepth: number): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const pending: { value: unknown; depth: number; field: string }[] = [
    { value, depth: 0, field: "(root)" },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== "object") continue;
    const depth = next.depth + 1;
    if (depth > maxDepth) return next.field;
    const entries = Object.entries(next.value);
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index] as [string, unknown];
      pending.push({ value: child, depth, field: depth === 1 ? key : next.field });
    }
  }
  return undefined;
}
