import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage, saveScreenshot } from "../support/browser.ts";
import { browserSignIn } from "../support/dashboard.ts";
import { type DashboardServer, startDashboardServer } from "../support/dashboardServer.ts";

let browser: Browser;
let server: DashboardServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startDashboardServer()]);
});

describe("reports and exports in Chromium", () => {
  it("generates a report and an export from the forms; both become downloadable", async () => {
    const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
    const { username } = await browserSignIn(page, "operate");
    await page.goto("/dashboard/reports");

    await page.getByLabel("Report", { exact: true }).first().selectOption("daily");
    await page.getByLabel("Day").fill("2026-03-08");
    await Promise.all([
      page.waitForEvent("load"),
      page.getByRole("button", { name: "Generate report" }).click(),
    ]);
    const reportRow = page.locator("#reports tbody tr");
    await expect.poll(() => reportRow.count()).toBe(1);
    expect(await reportRow.textContent()).toContain("date_str: 2026-03-08");

    await page.getByLabel("From (UTC)").last().fill("2026-03-01T00:00");
    await page.getByLabel("To (UTC)").last().fill("2026-03-31T23:59");
    await page.getByLabel("Format").selectOption("json");
    await Promise.all([
      page.waitForEvent("load"),
      page.getByRole("button", { name: "Export calls" }).click(),
    ]);
    const exportRow = page.locator("#exports tbody tr");
    await expect.poll(() => exportRow.count()).toBe(1);
    expect(await exportRow.textContent()).toContain(`user:${username}`);

    // The worker builds both; the lists then link their files.
    await expect
      .poll(
        async () => {
          await page.reload();
          return (await page.locator("#reports a[download], #exports a[download]").count()) === 4;
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(true);
    await saveScreenshot(page, "reports");
    const csv = await page.locator("#reports a[download]", { hasText: "csv" }).getAttribute("href");
    const reportCsv = await page.request.get(csv as string);
    expect(reportCsv.status()).toBe(200);
    expect(reportCsv.headers()["content-type"]).toMatch(/^text\/csv/);
    const file = await page.locator("#exports a[download]").getAttribute("href");
    const exported = await page.request.get(file as string);
    expect(exported.status()).toBe(200);
    expect(exported.headers()["content-type"]).toBe("application/json");

    const audited = await server.db
      .selectFrom("audit_log")
      .select("action")
      .where("actor", "=", `user:${username}`)
      .where("action", "in", ["report.generate", "export.request", "export.download"])
      .orderBy("id")
      .execute();
    expect(audited.map((row) => row.action)).toEqual([
      "report.generate",
      "export.request",
      "export.download",
    ]);
    expectNoErrors();
  });
});
