import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { lanePause, laneResume } from "../../src/control/lane.ts";
import { executionRetry } from "../../src/control/retry.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { launchBrowser, newPage, saveScreenshot } from "../support/browser.ts";
import { browserSignIn } from "../support/dashboard.ts";
import {
  type DashboardServer,
  failsOnceTask,
  startDashboardServer,
} from "../support/dashboardServer.ts";
import { waitForStatus } from "../support/engine.ts";

const failsOnce = failsOnceTask();
/** Runs in a lane the test pauses, so its executions stay queued. */
const held = defineTask({
  name: "held_in_paused_lane",
  lane: "maintenance",
  payload: z.object({ n: z.number().int() }),
  run: async () => "ran",
});
let browser: Browser;
let server: DashboardServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([
    launchBrowser(),
    startDashboardServer({ tasks: [failsOnce, held] }),
  ]);
});
afterAll(async () => {
  await browser?.close();
});

describe("executions in a browser", () => {
  it("retries a dead execution from its page and shows it succeed without a reload", async () => {
    const id = await enqueue(server.db, failsOnce, { label: "browser" });
    expect((await waitForStatus(id, ["dead", "succeeded"])).status).toBe("dead");
    const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
    await browserSignIn(page, "operate");

    await page.goto("/dashboard/dead-letter");
    const row = page.locator(`tr[data-execution-id="${id}"]`);
    await expect(row.locator('[data-field="status"]').textContent()).resolves.toBe("dead");
    await row.getByRole("link").click();
    await page.waitForURL(`**/dashboard/executions/${id}`);
    await page.locator('#execution[data-live="open"]').waitFor();
    await page.evaluate(() => {
      (globalThis as unknown as { __noReload: boolean }).__noReload = true;
    });
    await page.getByRole("button", { name: "Retry" }).click();
    await page
      .locator('#execution [data-field="status"]', { hasText: "succeeded" })
      .waitFor({ timeout: 15_000 });
    expect(
      await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload),
    ).toBe(true);
    expect((await waitForStatus(id, "succeeded")).status).toBe("succeeded");
    expectNoErrors();
  });

  it("cancels everything a filter matches after confirming its count", async () => {
    await lanePause(server.db, { lane: "maintenance", actor: "test" });
    try {
      const ids: string[] = [];
      for (let n = 0; n < 50; n++) ids.push(await enqueue(server.db, held, { n }));
      const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
      await browserSignIn(page, "operate");
      await page.goto("/dashboard/executions");
      await page.locator('select[name="task_name"]').selectOption("held_in_paused_lane");
      await page.locator('select[name="status"]').selectOption("queued");
      await page.getByRole("button", { name: "Filter", exact: true }).click();
      await page.waitForURL(/task_name=held_in_paused_lane/);
      await expect(page.locator("tr[data-execution-id]").count()).resolves.toBe(50);

      const confirmations: string[] = [];
      page.on("dialog", async (dialog) => {
        confirmations.push(dialog.message());
        await dialog.accept();
      });
      await page.getByRole("button", { name: "Cancel everything matching this filter" }).click();
      await page.locator("#flash.ok").waitFor();
      expect(confirmations).toEqual(["Cancel 50 executions matching this filter?"]);
      const statuses = await server.db
        .selectFrom("executions")
        .select("status")
        .where("public_id", "in", ids)
        .execute();
      expect(statuses.map((row) => row.status)).toEqual(Array(50).fill("cancelled"));
      await expect(
        page
          .locator('tr[data-execution-id] [data-field="status"]', { hasText: "cancelled" })
          .count(),
      ).resolves.toBe(50);
      expectNoErrors();
    } finally {
      await laneResume(server.db, { lane: "maintenance", actor: "test" });
    }
  });

  it("takes the screenshot of the list with a mix of statuses", async () => {
    const failed = [];
    for (const label of ["a", "b", "c", "d", "e"]) {
      failed.push(await enqueue(server.db, failsOnce, { label: `screenshot ${label}` }));
    }
    for (const id of failed) await waitForStatus(id, "dead");
    for (const id of failed.slice(0, 3)) {
      await executionRetry(server.db, server.registry, { publicId: id, actor: "test" });
      await waitForStatus(id, "succeeded");
    }
    for (let n = 0; n < 3; n++) {
      await enqueue(server.db, held, { n: 1000 + n }, { delayMs: 3_600_000 });
    }
    const { page } = await newPage(browser, server.baseUrl);
    await page.setViewportSize({ width: 1280, height: 800 });
    await browserSignIn(page, "operate");
    await page.goto("/dashboard/executions");
    await page.locator("tr[data-execution-id]").first().waitFor();
    await saveScreenshot(page, "executions");
  });
});
