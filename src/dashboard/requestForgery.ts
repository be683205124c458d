/**
 * Cross-site request checks for cookie-authenticated requests. A state-changing request must
 * carry the session's CSRF token (header `X-CSRF-Token`, or form field `_csrf`), and is refused
 * outright when the browser says it came from anywhere but this origin (`Sec-Fetch-Site` other
 * than `same-origin` or `none`; without that header, an `Origin` whose host is not this one).
 */
import type { Context } from "hono";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export function isCrossSite(c: Context): boolean {
  // A browser that sends Sec-Fetch-Site says where the request came from; its Origin may be
  // "null" on a form post from a page served with `Referrer-Policy: no-referrer`.
  const site = c.req.header("sec-fetch-site");
  if (site) return site !== "same-origin" && site !== "none";
  const origin = c.req.header("origin");
  if (!origin) return false;
  if (origin === "null") return true;
  try {
    return new URL(origin).host !== (c.req.header("host") ?? new URL(c.req.url).host);
  } catch {
    return true;
  }
}

/** The CSRF token a request carries: its header, else its form field. */
export async function requestCsrfToken(c: Context): Promise<string | undefined> {
  const header = c.req.header("x-csrf-token");
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (
    type.startsWith("application/x-www-form-urlencoded") ||
    type.startsWith("multipart/form-data")
  ) {
    const field = (await c.req.parseBody())._csrf;
    return typeof field === "string" ? field : undefined;
  }
  return undefined;
}
