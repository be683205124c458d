import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "../../src/api/auth/tokens.ts";
import { EventHub } from "../../src/api/events/eventHub.ts";
import { deleteExpiredSessions } from "../../src/dashboard/sessions.ts";
import { userCreate, userDisable } from "../../src/dashboard/users.ts";
import { testApp } from "../support/app.ts";
import { dashboardSession, TEST_PASSWORD } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";
import { silentLogger } from "../support/engine.ts";

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

function sessionCookieOf(response: Response): string {
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = /switchboard_session=([^;]*)/.exec(setCookie)?.[0];
  if (!cookie) throw new Error(`no session cookie in ${setCookie}`);
  return cookie;
}

describe("dashboard sign-in", () => {
  it("sends a browser without a session to sign in, then back where it was", async () => {
    const app = testApp();
    const page = await app.request("/dashboard/lanes?x=1");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe(
      "/dashboard/sign-in?next=%2Fdashboard%2Flanes%3Fx%3D1",
    );

    await userCreate(testDb().db, { username: "alice", password: TEST_PASSWORD, scopes: ["read"] });
    const signIn = await app.request(
      "/dashboard/sign-in",
      form({ username: "alice", password: TEST_PASSWORD, next: "/dashboard/lanes?x=1" }),
    );
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/dashboard/lanes?x=1");
    const setCookie = signIn.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/);

    const overview = await app.request("/dashboard", {
      headers: { cookie: sessionCookieOf(signIn) },
    });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("user:alice");
    const audit = await testDb()
      .db.selectFrom("audit_log")
      .select(["actor", "action"])
      .where("action", "=", "session.sign_in")
      .execute();
    expect(audit).toEqual([{ actor: "user:alice", action: "session.sign_in" }]);
  });

  it("marks the cookie Secure behind HTTPS", async () => {
    const { token } = await createApiToken(testDb().db, {
      name: "secure-signin",
      scopes: ["read"],
    });
    const response = await testApp().request("/dashboard/sign-in", {
      ...form({ token }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-forwarded-proto": "https",
      },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("set-cookie")).toMatch(/Secure/);
  });

  it("refuses a wrong password, an unknown user, a bad token and a cross-site sign-in", async () => {
    const app = testApp();
    await userCreate(testDb().db, { username: "bob", password: TEST_PASSWORD, scopes: ["read"] });
    const wrong = await app.request(
      "/dashboard/sign-in",
      form({ username: "bob", password: "nope-nope-nope" }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const unknown = await app.request(
      "/dashboard/sign-in",
      form({ username: "nobody", password: TEST_PASSWORD }),
    );
    expect(unknown.status).toBe(401);
    const badToken = await app.request("/dashboard/sign-in", form({ token: "sb_nope" }));
    expect(badToken.status).toBe(401);
    const empty = await app.request("/dashboard/sign-in", form({}));
    expect(empty.status).toBe(400);
    const crossSite = await app.request("/dashboard/sign-in", {
      ...form({ username: "bob", password: TEST_PASSWORD }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://evil.example",
      },
    });
    expect(crossSite.status).toBe(403);
  });

  it("never redirects to another site after sign-in", async () => {
    const { token } = await createApiToken(testDb().db, { name: "next-check", scopes: ["read"] });
    for (const next of [
      "https://evil.example/",
      "//evil.example",
      "/dashboard//evil.example",
      "/api/x",
    ]) {
      const response = await testApp().request("/dashboard/sign-in", form({ token, next }));
      expect(response.headers.get("location")).toBe("/dashboard");
    }
  });
});

describe("dashboard sessions", () => {
  const hub = new EventHub({ logger: silentLogger });
  afterAll(() => hub.stop());
  it("opens /api/docs, /api/events and the API's reads with the session's cookie", async () => {
    const app = testApp(testDb().pool, { hub });
    const session = await dashboardSession("read");
    expect((await app.request("/api/docs", { headers: session.headers })).status).toBe(200);
    expect((await app.request("/api/lanes", { headers: session.headers })).status).toBe(200);
    const events = await app.request("/api/events", { headers: session.headers });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/text\/event-stream/);
    await events.body?.cancel();
  });

  it("refuses a state change without the CSRF token, or from another site, with 403", async () => {
    const app = testApp();
    const session = await dashboardSession("operate");
    const pause = (headers: Record<string, string>) =>
      app.request("/api/lanes/reports/pause", { method: "POST", headers });
    expect((await pause(session.headers)).status).toBe(403);
    expect((await pause({ ...session.headers, "x-csrf-token": "forged" })).status).toBe(403);
    expect((await pause({ ...session.apiHeaders, origin: "https://evil.example" })).status).toBe(
      403,
    );
    const lanes = await testDb().db.selectFrom("lane_states").selectAll().execute();
    expect(lanes.filter((lane) => lane.paused)).toEqual([]);

    const ok = await pause(session.apiHeaders);
    expect(ok.status).toBe(200);
    const audit = await testDb()
      .db.selectFrom("audit_log")
      .select(["actor", "action"])
      .where("action", "=", "lane.pause")
      .execute();
    expect(audit).toEqual([{ actor: `user:${session.username}`, action: "lane.pause" }]);
  });

  it("refuses actions above the session's scopes", async () => {
    const session = await dashboardSession("read");
    const response = await testApp().request("/api/lanes/reports/pause", {
      method: "POST",
      headers: session.apiHeaders,
    });
    expect(response.status).toBe(403);
  });

  it("ends at its idle expiry, its absolute expiry, sign-out, a disabled user or a revoked token", async () => {
    const app = testApp();
    const { db } = testDb();
    const idle = await dashboardSession("read");
    await db
      .updateTable("dashboard_sessions")
      .set({ idle_expires_at: sql`now() - interval '1 second'` })
      .execute();
    const ended = await app.request("/dashboard", { headers: idle.headers });
    expect(ended.status).toBe(303);
    expect(ended.headers.get("location")).toBe("/dashboard/sign-in?next=%2Fdashboard&ended=");
    expect((await app.request("/api/lanes", { headers: idle.headers })).status).toBe(401);

    const absolute = await dashboardSession("read");
    await db
      .updateTable("dashboard_sessions")
      .set({ absolute_expires_at: sql`now() - interval '1 second'` })
      .where("idle_expires_at", ">", sql<Date>`now()`)
      .execute();
    expect((await app.request("/dashboard", { headers: absolute.headers })).status).toBe(303);

    const signedOut = await dashboardSession("read");
    const signOut = await app.request("/dashboard/sign-out", {
      ...form({ _csrf: signedOut.csrfToken }),
      headers: { ...signedOut.headers, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(signOut.status).toBe(303);
    expect((await app.request("/dashboard", { headers: signedOut.headers })).status).toBe(303);

    const disabled = await dashboardSession("read");
    expect(await userDisable(db, disabled.username)).toBe("disabled");
    expect((await app.request("/dashboard", { headers: disabled.headers })).status).toBe(303);

    const { token } = await createApiToken(db, { name: "revoked-session", scopes: ["read"] });
    const signIn = await app.request("/dashboard/sign-in", form({ token }));
    const tokenCookie = { cookie: sessionCookieOf(signIn) };
    expect((await app.request("/dashboard", { headers: tokenCookie })).status).toBe(200);
    await revokeApiToken(db, "revoked-session");
    expect((await app.request("/dashboard", { headers: tokenCookie })).status).toBe(303);
  });

  it("cleanup deletes ended sessions and keeps live ones", async () => {
    const { db } = testDb();
    await db.deleteFrom("dashboard_sessions").execute();
    const live = await dashboardSession("read");
    await dashboardSession("read");
    await dashboardSession("read");
    await db
      .updateTable("dashboard_sessions")
      .set({ idle_expires_at: sql`now() - interval '1 second'` })
      .where("id", "!=", (eb) =>
        eb.selectFrom("dashboard_sessions").select(eb.fn.min("id").as("id")),
      )
      .execute();
    expect(await deleteExpiredSessions(db, { batchSize: 1 })).toEqual({ deleted: 2 });
    expect((await testApp().request("/dashboard", { headers: live.headers })).status).toBe(200);
  });
});

describe("dashboard pages", () => {
  it("answer an unknown page with a 404 page in the frame, and carry the security headers", async () => {
    const session = await dashboardSession("read");
    const response = await testApp().request("/dashboard/no-such-page", {
      headers: session.headers,
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain(
      "No dashboard page at <code>/dashboard/no-such-page</code>",
    );
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
    expect(response.headers.get("server-timing")).toMatch(/^app;dur=\d+(\.\d)?$/);
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });
});
