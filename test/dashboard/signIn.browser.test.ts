import { sql } from "kysely";
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../src/api/auth/tokens.ts";
import { userCreate } from "../../src/dashboard/users.ts";
import { launchBrowser, newPage } from "../support/browser.ts";
import { browserSignIn, TEST_PASSWORD } from "../support/dashboard.ts";
import { type DashboardServer, startDashboardServer } from "../support/dashboardServer.ts";

let browser: Browser;
let server: DashboardServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startDashboardServer()]);
});

describe("signing in to the dashboard in a browser", () => {
  it("sends a visitor to sign in, and back to the page asked for with a user's password", async () => {
    const { page, context, expectNoErrors } = await newPage(browser, server.baseUrl);
    await userCreate(server.db, { username: "carol", password: TEST_PASSWORD, scopes: ["read"] });
    await page.goto("/dashboard/workers");
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await page.getByLabel("Username").fill("carol");
    await page.getByLabel("Password").fill("not her password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong username");

    await page.getByLabel("Password").fill(TEST_PASSWORD);
    await Promise.all([
      page.waitForURL((url) => url.pathname === "/dashboard/workers"),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    expect(await page.getByText("user:carol").count()).toBe(1);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: "switchboard_session",
      httpOnly: true,
      sameSite: "Strict",
    });
    // A read-only user reaches the API's reads, including the docs, with the same session.
    expect((await page.goto("/api/docs"))?.status()).toBe(200);
    expectNoErrors([/401/]);
  });

  it("signs in with an API token, and signs out", async () => {
    const { page } = await newPage(browser, server.baseUrl);
    const { token } = await createApiToken(server.db, {
      name: "browser-token",
      scopes: ["operate"],
    });
    await page.goto("/dashboard/sign-in");
    await page.getByLabel("API token").fill(token);
    await Promise.all([
      page.waitForURL((url) => url.pathname === "/dashboard"),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    expect(await page.getByText("browser-token").count()).toBe(1);
    await Promise.all([
      page.waitForURL((url) => url.pathname === "/dashboard/sign-in"),
      page.getByRole("button", { name: "Sign out" }).click(),
    ]);
    await page.goto("/dashboard");
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  });

  it("refuses a forged POST without the CSRF token with 403 and changes nothing", async () => {
    const { page } = await newPage(browser, server.baseUrl);
    await browserSignIn(page, "admin");
    const forged = await page.evaluate(async () => {
      const response = await fetch("/api/lanes/reports/pause", {
        method: "POST",
        credentials: "same-origin",
      });
      return {
        status: response.status,
        body: (await response.json()) as { error: { message: string } },
      };
    });
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toContain("CSRF");
    const withToken = await page.evaluate(async () => {
      const token = (
        globalThis as unknown as {
          document: { querySelector(selector: string): { content: string } | null };
        }
      ).document.querySelector('meta[name="csrf-token"]')?.content;
      const response = await fetch("/api/lanes/reports/pause", {
        method: "POST",
        headers: { "x-csrf-token": token ?? "" },
      });
      return response.status;
    });
    expect(withToken).toBe(200);
    const lane = await server.db
      .selectFrom("lane_states")
      .select("paused")
      .where("lane", "=", "reports")
      .executeTakeFirst();
    expect(lane?.paused).toBe(true);
    await server.db.updateTable("lane_states").set({ paused: false }).execute();
  });

  it("sends a browser whose session has expired to sign in, saying so", async () => {
    const { page } = await newPage(browser, server.baseUrl);
    const { username } = await browserSignIn(page, "read");
    await server.db
      .updateTable("dashboard_sessions")
      .set({ idle_expires_at: sql`now() - interval '1 second'` })
      .where("user_id", "=", (eb) =>
        eb.selectFrom("dashboard_users").select("id").where("username", "=", username),
      )
      .execute();
    await page.goto("/dashboard/lanes");
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/dashboard/lanes");
    expect(await page.getByRole("alert").textContent()).toContain("Your session has ended");
  });
});
