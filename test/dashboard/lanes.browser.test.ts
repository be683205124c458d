import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import { launchBrowser, newPage, saveScreenshot } from "../support/browser.ts";
import { browserSignIn } from "../support/dashboard.ts";
import {
  type DashboardServer,
  failsOnceTask,
  startDashboardServer,
} from "../support/dashboardServer.ts";
import { waitForStatus } from "../support/engine.ts";

const failsOnce = failsOnceTask();
let browser: Browser;
let server: DashboardServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([
    launchBrowser(),
    startDashboardServer({ tasks: [failsOnce] }),
  ]);
});

async function reportsPaused(): Promise<boolean> {
  const row = await server.db
    .selectFrom("lane_states")
    .select("paused")
    .where("lane", "=", "reports")
    .executeTakeFirst();
  return row?.paused ?? false;
}

const laneState = (page: Page, lane: string) =>
  page.locator(`tr[data-lane="${lane}"] [data-field="paused"]`);

describe("the lanes page in a browser", () => {
  it("lets an operator pause and resume a lane, and shows the new state", async () => {
    const { page, context, expectNoErrors } = await newPage(browser, server.baseUrl);
    page.on("dialog", (dialog) => dialog.accept());
    const { username } = await browserSignIn(page, "operate");
    await page.goto("/dashboard/lanes");
    expect(await laneState(page, "reports").textContent()).toBe("active");

    await page.getByRole("button", { name: "Pause lane reports" }).click();
    await laneState(page, "reports").filter({ hasText: "paused" }).waitFor();
    expect(await reportsPaused()).toBe(true);
    await page.getByRole("button", { name: "Resume lane reports" }).click();
    await laneState(page, "reports").filter({ hasText: "active" }).waitFor();
    await page.getByRole("button", { name: "Pause lane reports" }).waitFor();
    expect(await reportsPaused()).toBe(false);

    const audit = await server.db
      .selectFrom("audit_log")
      .select(["actor", "action"])
      .where("action", "in", ["lane.pause", "lane.resume"])
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { actor: `user:${username}`, action: "lane.pause" },
      { actor: `user:${username}`, action: "lane.resume" },
    ]);
    expectNoErrors();
    await context.close();
  });

  it("lets an operator run a crontab entry now from the schedule", async () => {
    const { page, context, expectNoErrors } = await newPage(browser, server.baseUrl);
    page.on("dialog", (dialog) => dialog.accept());
    const { username } = await browserSignIn(page, "operate");
    await page.goto("/dashboard/schedule");
    await page.getByRole("button", { name: "Run system_health_check now" }).click();
    const link = page.locator("#flash a", { hasText: "Open its execution" });
    await link.waitFor();
    expect(await page.locator("#flash").textContent()).toContain("system_health_check enqueued.");
    const href = (await link.getAttribute("href")) ?? "";
    const executions = await server.db
      .selectFrom("executions")
      .select("public_id")
      .where("task_name", "=", "system_health_check")
      .execute();
    expect(executions).toHaveLength(1);
    expect(href).toBe(`/dashboard/executions/${executions[0]?.public_id}`);
    const audit = await server.db
      .selectFrom("audit_log")
      .select(["actor", "target_ids"])
      .where("action", "=", "schedule.run_now")
      .execute();
    expect(audit).toEqual([{ actor: `user:${username}`, target_ids: [executions[0]?.public_id] }]);
    await waitForStatus(executions[0]?.public_id ?? "", ["succeeded", "dead"]);
    expectNoErrors();
    await context.close();
  });

  it("shows a read user no buttons, and refuses a forged pause", async () => {
    const { page, context, expectNoErrors } = await newPage(browser, server.baseUrl);
    await browserSignIn(page, "read");
    await page.goto("/dashboard/lanes");
    await laneState(page, "reports").waitFor();
    expect(await page.locator("button[data-api-post]").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Pause|Resume/ }).count()).toBe(0);
    await page.goto("/dashboard/schedule");
    expect(await page.locator("tr[data-entry]").count()).toBeGreaterThan(10);
    expect(await page.locator("button[data-api-post]").count()).toBe(0);
    expect(await page.getByRole("button", { name: /Run .* now/ }).count()).toBe(0);

    const forged = await page.evaluate(async () => {
      const plain = await fetch("/api/lanes/reports/pause", {
        method: "POST",
        credentials: "same-origin",
      });
      const token = (
        globalThis as unknown as {
          document: { querySelector(selector: string): { content: string } | null };
        }
      ).document.querySelector('meta[name="csrf-token"]')?.content;
      const withToken = await fetch("/api/lanes/reports/pause", {
        method: "POST",
        credentials: "same-origin",
        headers: { "x-csrf-token": token ?? "" },
      });
      return [plain.status, withToken.status];
    });
    expect(forged).toEqual([403, 403]);
    expect(await reportsPaused()).toBe(false);
    expectNoErrors([/status of 403/]);
    await context.close();
  });

  it("takes the README's screenshot of the overview", async () => {
    const debugTask = server.registry.get("debug_task");
    if (!debugTask) throw new Error("debug_task is not registered");
    const succeeded = await Promise.all(
      Array.from({ length: 12 }, (_, n) => enqueue(server.db, debugTask, { n })),
    );
    const failed = await Promise.all(
      ["a", "b", "c"].map((label) => enqueue(server.db, failsOnce, { label })),
    );
    for (const id of succeeded) await waitForStatus(id, "succeeded");
    for (const id of failed) await waitForStatus(id, "dead");

    const { page, context, expectNoErrors } = await newPage(browser, server.baseUrl);
    await page.setViewportSize({ width: 1280, height: 800 });
    await browserSignIn(page, "operate");
    const response = await page.goto("/dashboard");
    const timing = response?.headers()["server-timing"] ?? "";
    expect(timing).toMatch(/^app;dur=[\d.]+$/);
    console.log(`overview Server-Timing: ${timing}`);
    // The rollups agree with the ledger (the schedule's run above ended too).
    const ledger = await server.db
      .selectFrom("executions")
      .select(["status", server.db.fn.countAll<string>().as("count")])
      .where("status", "in", ["succeeded", "dead"])
      .groupBy("status")
      .execute();
    const count = (status: string) => String(ledger.find((row) => row.status === status)?.count);
    expect(Number(count("succeeded"))).toBeGreaterThanOrEqual(12);
    expect(await page.locator('[data-figure="succeeded"]').textContent()).toBe(count("succeeded"));
    expect(await page.locator('[data-figure="failed"]').textContent()).toBe(count("dead"));
    expect(await page.locator("figure.chart g.bars rect").count()).toBeGreaterThan(0);
    await saveScreenshot(page, "overview");
    expectNoErrors();
    await context.close();
  });
});
