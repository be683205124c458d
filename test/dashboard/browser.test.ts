import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import { authHeaders } from "../support/app.ts";
import { launchBrowser, newPage } from "../support/browser.ts";
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

describe("Chromium against the API process", () => {
  it("loads /healthz over real HTTP", async () => {
    const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
    const response = await page.goto("/healthz");
    expect(response?.status()).toBe(200);
    expect(JSON.parse((await page.textContent("body")) ?? "")).toEqual({ status: "ok" });
    // A page that names no icon makes Chromium ask for /favicon.ico, which needs a token.
    expectNoErrors([/\/favicon\.ico\b/]);
  });

  it("is refused the API docs without credentials", async () => {
    const { page, errors } = await newPage(browser, server.baseUrl);
    const response = await page.goto(`${server.baseUrl}/api/docs`);
    expect(response?.status()).toBe(401);
    expect(await response?.json()).toMatchObject({ error: { code: "unauthorized" } });
    // Chromium reports the refused document as a console error; the helper records it.
    expect(errors).toContainEqual(expect.stringMatching(/console error: .*401.*\/api\/docs\b/));
  });

  it("fails with the way to install Chromium when there is none", async () => {
    const previous = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = "/nonexistent/chromium";
    try {
      await expect(launchBrowser()).rejects.toThrow(
        /no(ne)? at \/nonexistent\/chromium.*apt-get install -y chromium.*CHROMIUM_PATH/s,
      );
    } finally {
      if (previous === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = previous;
    }
  });
});

describe("the dashboard server's worker", () => {
  it("runs an operator's retry of a dead execution to success", async () => {
    const id = await enqueue(server.db, failsOnce, { label: "smoke" });
    expect((await waitForStatus(id, ["dead", "succeeded"])).status).toBe("dead");
    const response = await fetch(`${server.baseUrl}/api/tasks/executions/${id}/retry`, {
      method: "POST",
      headers: await authHeaders("operate"),
    });
    expect(response.status).toBe(200);
    const done = await waitForStatus(id, ["dead", "succeeded"]);
    expect(done.status).toBe("succeeded");
    expect(done.result).toEqual({ label: "smoke", succeeded: true });
  });
});
