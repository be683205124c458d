/**
 * The dashboard's gate: every page needs a live session. A browser without one is sent to the
 * sign-in page (`?ended` when its session has ended), coming back where it was afterwards. A
 * state-changing request must carry the session's CSRF token and come from this site, else 403.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../api/context.ts";
import type { Db } from "../database/pool.ts";
import { changesState, isCrossSite, requestCsrfToken } from "./requestForgery.ts";
import { clearSessionCookie, readSessionSecret } from "./sessionCookie.ts";
import { csrfMatches, type SessionLifetime, sessionVerify } from "./sessions.ts";

export interface RequireSessionOptions {
  db: Db;
  lifetime: SessionLifetime;
  /** Paths served without a session: exact, or prefixes ending in `/*`. */
  openPaths: string[];
}

export function requireSession(options: RequireSessionOptions): MiddlewareHandler<AppEnv> {
  const exact = new Set(options.openPaths.filter((p) => !p.endsWith("/*")));
  const prefixes = options.openPaths.filter((p) => p.endsWith("/*")).map((p) => p.slice(0, -1));
  return async function requireDashboardSession(c, next) {
    const path = c.req.path;
    if (exact.has(path) || prefixes.some((prefix) => path.startsWith(prefix))) return next();
    const secret = readSessionSecret(c);
    const session = secret ? await sessionVerify(options.db, secret, options.lifetime) : null;
    if (!session) {
      if (secret) clearSessionCookie(c);
      if (changesState(c.req.method)) return c.text("Sign in first", 401);
      const here = `${path}${new URL(c.req.url).search}`;
      const query = new URLSearchParams({ next: here });
      if (secret) query.set("ended", "");
      return c.redirect(`/dashboard/sign-in?${query}`, 303);
    }
    if (changesState(c.req.method)) {
      if (isCrossSite(c) || !csrfMatches(session, await requestCsrfToken(c))) {
        return c.text("Missing or wrong CSRF token", 403);
      }
    }
    c.set("principal", session.principal);
    c.set("session", session);
    await next();
  };
}
