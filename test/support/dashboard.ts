/** Dashboard sessions for tests: a signed-in user with chosen scopes, as a browser would hold. */
import type { Scope } from "../../src/api/auth/principal.ts";
import { SESSION_COOKIE } from "../../src/dashboard/sessionCookie.ts";
import { defaultSessionLifetime, sessionCreate } from "../../src/dashboard/sessions.ts";
import { userCreate } from "../../src/dashboard/users.ts";
import { testDb } from "./database.ts";

let userCount = 0;

export interface TestSession {
  username: string;
  /** The session's cookie, as `Cookie` header value. */
  cookie: string;
  csrfToken: string;
  /** `cookie` for pages; add `csrf` for state-changing API calls. */
  headers: Record<string, string>;
  /** Headers of a JSON API call carrying the session and its CSRF token. */
  apiHeaders: Record<string, string>;
}

export const TEST_PASSWORD = "correct horse battery staple";

/** Creates a dashboard user with `scopes` and a live session for them. */
export async function dashboardSession(...scopes: Scope[]): Promise<TestSession> {
  const username = `user-${process.pid}-${++userCount}`;
  const { id } = await userCreate(testDb().db, { username, password: TEST_PASSWORD, scopes });
  const { secret, csrfToken } = await sessionCreate(
    testDb().db,
    { userId: id },
    defaultSessionLifetime,
  );
  const cookie = `${SESSION_COOKIE}=${secret}`;
  return {
    username,
    cookie,
    csrfToken,
    headers: { cookie },
    apiHeaders: { cookie, "x-csrf-token": csrfToken, "content-type": "application/json" },
  };
}

/**
 * Signs a browser page in through the sign-in form as a new user with `scopes`, as a person
 * would; resolves once the dashboard's overview has loaded.
 */
export async function browserSignIn(
  page: import("playwright-core").Page,
  ...scopes: Scope[]
): Promise<{ username: string }> {
  const username = `browser-${process.pid}-${++userCount}`;
  await userCreate(testDb().db, { username, password: TEST_PASSWORD, scopes });
  await page.goto("/dashboard/sign-in");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await Promise.all([
    page.waitForURL((url) => url.pathname === "/dashboard"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  return { username };
}
