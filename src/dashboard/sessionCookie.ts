/**
 * The session cookie: HttpOnly (no script can read it), SameSite=Strict (no other site's page
 * can send it), Path=/ (the dashboard and the API it calls), and Secure when the request came
 * over HTTPS (directly, or through a proxy saying `X-Forwarded-Proto: https`).
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { SessionLifetime } from "./sessions.ts";

export const SESSION_COOKIE = "switchboard_session";

export function isHttps(c: Context): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https" || new URL(c.req.url).protocol === "https:";
}

export function readSessionSecret(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export function setSessionCookie(c: Context, secret: string, lifetime: SessionLifetime): void {
  setCookie(c, SESSION_COOKIE, secret, {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c),
    maxAge: lifetime.maxHours * 3600,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
}
