/**
 * The dashboard's gate: every page needs a live session. A browser without one is sent to the
 * sign-in page (`?ended` when its session has ended), coming back where it was afterwards. A
 * state-changing request must carry the session's CSRF token and come from this site, else 403.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../api/context.ts";
import { openPathMatcher } from "../api/middleware/authenticate.ts";
import type { Db } from "../database/pool.ts";
import { changesState } from "./requestForgery.ts";
import { clearSessionCookie } from "./sessionCookie.ts";
import { sessionOfRequest } from "./sessionRequest.ts";
import type { SessionLifetime } from "./sessions.ts";

export interface RequireSessionOptions {
  db: Db;
  lifetime: SessionLifetime;
  /** Paths served without a session: exact, or prefixes ending in `/*`. */
  openPaths: string[];
}

export function requireSession(options: RequireSessionOptions): MiddlewareHandler<AppEnv> {
  const isOpen = openPathMatcher(options.openPaths);
  return async function requireDashboardSession(c, next) {
    const path = c.req.path;
    if (isOpen(path)) return next();
    const check = await sessionOfRequest(c, options.db, options.lifetime);
    if (check.outcome === "none" || check.outcome === "ended") {
      if (check.outcome === "ended") clearSessionCookie(c);
      if (changesState(c.req.method)) return c.text("Sign in first", 401);
      const here = `${path}${new URL(c.req.url).search}`;
      const query = new URLSearchParams({ next: here });
      if (check.outcome === "ended") query.set("ended", "");
      return c.redirect(`/dashboard/sign-in?${query}`, 303);
    }
    if (check.outcome === "forged") return c.text("Missing or wrong CSRF token", 403);
    const { session } = check;
    c.set("principal", session.principal);
    c.set("session", session);
    await next();
  };
}
