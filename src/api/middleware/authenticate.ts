/**
 * Bearer-token authentication and scope checks.
 *
 * Every request outside `openPaths` needs `Authorization: Bearer <token>`; the token's principal
 * is set as `c.get("principal")`. Verifications are cached in memory for `cacheTtlMs` (default
 * 5 s), both hits and misses, so a busy client costs one lookup per token per TTL. A token that
 * expires is remembered only until its expiry (as the database counted it at the lookup), and
 * then refused with a 401 saying it expired.
 *
 * Given `revocations` (the API process's event hub), a revocation empties the cache at once in
 * every process. Without it a revoked token keeps working for up to `cacheTtlMs`; set
 * `cacheTtlMs: 0` to look up every request.
 *
 * Given `sessions`, a request without the header may instead carry a dashboard session's cookie
 * (src/dashboard/sessions.ts), as the dashboard's own scripts and a browser opening `/api/docs`
 * or `/api/events` do. A state-changing request made that way must also carry the session's CSRF
 * token and come from this site, else 403.
 *
 * @example
 * app.use(authenticate({ db, openPaths: ["/healthz", "/readyz"] }));
 * app.post("/api/executions/:id/cancel", requireScope("operate"), handler);
 */
import type { MiddlewareHandler } from "hono";
import { sessionOfRequest } from "../../dashboard/sessionRequest.ts";
import type { SessionLifetime } from "../../dashboard/sessions.ts";
import type { Db } from "../../database/pool.ts";
import type { Principal, Scope } from "../auth/principal.ts";
import { type ApiTokenCheck, hasScope, looksLikeApiToken, verifyApiToken } from "../auth/tokens.ts";
import type { AppEnv } from "../context.ts";
import { errorBody } from "../errors.ts";

export interface AuthenticateOptions {
  db: Db;
  /**
   * Paths served without a token: exact paths (`/healthz`), or prefixes ending in `/*`
   * (`/docs/*` matches `/docs` and everything under it). Default: `/healthz`, `/readyz`.
   */
  openPaths?: string[];
  /** How long a verification (success or failure) is remembered; default 5000 ms. */
  cacheTtlMs?: number;
  /** Most verifications remembered at once; the oldest are dropped first. Default 10000. */
  cacheSize?: number;
  /** Tells of every token revocation, so the cache forgets what it remembered. */
  revocations?: { onTokenRevoked(listener: () => void): void };
  /** Accept dashboard sessions' cookies, which last this long. Default: tokens only. */
  sessions?: SessionLifetime;
}

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

interface CacheEntry {
  check: Promise<ApiTokenCheck>;
  expiresAt: number;
}

const INVALID: ApiTokenCheck = { outcome: "invalid" };

/** Authenticates each request by its bearer token; 401 in the error format when it cannot. */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<AppEnv> {
  const { db, cacheTtlMs = 5_000, cacheSize = 10_000 } = options;
  const isOpen = openPathMatcher(options.openPaths ?? ["/healthz", "/readyz"]);
  // Keyed by the token itself, only ever in this process's memory. Insertion order is age
  // order, so the first key is the oldest entry.
  const cache = new Map<string, CacheEntry>();
  options.revocations?.onTokenRevoked(() => cache.clear());

  const lookUp = (token: string): Promise<ApiTokenCheck> => {
    const now = Date.now();
    const cached = cache.get(token);
    if (cached && cached.expiresAt > now) return cached.check;
    if (cached) cache.delete(token);
    const check = verifyApiToken(db, token);
    if (cacheTtlMs > 0) {
      // Concurrent requests with one token share a single lookup; a failed lookup is forgotten.
      const entry: CacheEntry = { check, expiresAt: now + cacheTtlMs };
      cache.set(token, entry);
      check.then(
        (result) => {
          // Counted from before the lookup, so the entry never outlives the token.
          if (result.outcome === "valid" && result.expiresInMs !== null) {
            entry.expiresAt = Math.min(entry.expiresAt, now + result.expiresInMs);
          }
        },
        () => cache.delete(token),
      );
      while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return check;
  };

  return async function authenticateRequest(c, next) {
    if (isOpen(c.req.path)) return next();
    const header = c.req.header("authorization");
    const fromSession =
      !header && options.sessions
        ? await sessionOfRequest(c, db, options.sessions)
        : ({ outcome: "none" } as const);
    if (fromSession.outcome === "ended") {
      return c.json(
        errorBody("unauthorized", "Your dashboard session has ended: sign in again at /dashboard"),
        401,
      );
    }
    if (fromSession.outcome === "forged") {
      return c.json(
        errorBody(
          "forbidden",
          "Missing or wrong CSRF token: send the session's token in the X-CSRF-Token header",
          [{ path: "X-CSRF-Token", message: "missing or wrong" }],
        ),
        403,
      );
    }
    if (fromSession.outcome === "valid") {
      c.set("principal", fromSession.session.principal);
      c.set("session", fromSession.session);
      return next();
    }
    if (!header) {
      return c.json(
        errorBody(
          "unauthorized",
          "Missing API token: send the header Authorization: Bearer <token>",
        ),
        401,
        { "WWW-Authenticate": 'Bearer realm="switchboard"' },
      );
    }
    const token = BEARER.exec(header)?.[1];
    // Garbage is refused without a lookup and without taking a place in the cache.
    const check = token && looksLikeApiToken(token) ? await lookUp(token) : INVALID;
    if (check.outcome !== "valid") {
      return c.json(
        errorBody(
          "unauthorized",
          check.outcome === "expired"
            ? `API token expired at ${check.expiredAt.toISOString()}`
            : token
              ? "Invalid or revoked API token"
              : "Malformed Authorization header: expected Bearer <token>",
        ),
        401,
        { "WWW-Authenticate": 'Bearer realm="switchboard", error="invalid_token"' },
      );
    }
    c.set("principal", check.principal);
    await next();
  };
}

/** Lets the request through only if its principal holds `scope` (or a scope implying it). */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async function requireScopeOf(c, next) {
    const principal = c.get("principal") as Principal | undefined;
    if (!principal) {
      return c.json(errorBody("unauthorized", "This route needs an API token"), 401, {
        "WWW-Authenticate": 'Bearer realm="switchboard"',
      });
    }
    if (!hasScope(principal, scope)) {
      return c.json(
        errorBody(
          "forbidden",
          `This action needs the "${scope}" scope; token "${principal.name}" has ${principal.scopes.join(", ")}`,
          [{ path: "scope", message: `missing scope "${scope}"` }],
        ),
        403,
      );
    }
    await next();
  };
}

/** Exact paths, or prefixes ending in `/*` (`/docs/*` matches `/docs` and what is under it). */
export function openPathMatcher(paths: string[]): (path: string) => boolean {
  const exact = new Set(paths.filter((path) => !path.endsWith("/*")));
  const prefixes = paths.filter((path) => path.endsWith("/*")).map((path) => path.slice(0, -2));
  return (path) =>
    exact.has(path) || prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
