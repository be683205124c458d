/**
 * A request's dashboard session, read from its cookie: `none` without the cookie, `ended` when
 * the cookie opens no live session, `forged` when the request changes state without the
 * session's CSRF token or from another site, else `valid`. The API's authentication and the
 * dashboard's gate both ask this and only differ in how they answer.
 */
import type { Context } from "hono";
import type { Db } from "../database/pool.ts";
import { changesState, isCrossSite, requestCsrfToken } from "./requestForgery.ts";
import { readSessionSecret } from "./sessionCookie.ts";
import { csrfMatches, type Session, type SessionLifetime, sessionVerify } from "./sessions.ts";

export type SessionRequestCheck =
  | { outcome: "none" }
  | { outcome: "ended" }
  | { outcome: "forged" }
  | { outcome: "valid"; session: Session };

export async function sessionOfRequest(
  c: Context,
  db: Db,
  lifetime: SessionLifetime,
): Promise<SessionRequestCheck> {
  const secret = readSessionSecret(c);
  if (!secret) return { outcome: "none" };
  const session = await sessionVerify(db, secret, lifetime);
  if (!session) return { outcome: "ended" };
  if (
    changesState(c.req.method) &&
    (isCrossSite(c) || !csrfMatches(session, await requestCsrfToken(c)))
  ) {
    return { outcome: "forged" };
  }
  return { outcome: "valid", session };
}
