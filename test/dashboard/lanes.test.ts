import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { lanePause } from "../../src/control/lane.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { testApp } from "../support/app.ts";
import { dashboardSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";

const export_ = defineTask({
  name: "lanes_page_export",
  lane: "exports",
  payload: z.object({ n: z.number().int() }),
  run: async () => null,
});

const rowOf = (page: string, lane: string) =>
  new RegExp(`<tr data-lane="${lane}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? "";

beforeAll(async () => {
  const { db } = testDb();
  for (const n of [1, 2, 3, 4, 5]) await enqueue(db, export_, { n });
  await enqueue(db, export_, { n: 6 }, { delayMs: 600_000 });
  await enqueue(db, export_, { n: 7 }, { delayMs: 600_000 });
  await lanePause(db, { lane: "reports", actor: "test" });
});

describe("the lanes page", () => {
  it("shows each lane's backlog, concurrency and pause state, without actions for read", async () => {
    const session = await dashboardSession("read");
    const response = await testApp(undefined, {
      settings: { laneConcurrency: { exports: 3 } },
    }).request("/dashboard/lanes", { headers: session.headers });
    expect(response.status).toBe(200);
    const page = await response.text();
    const exportsRow = rowOf(page, "exports");
    expect(exportsRow).toMatch(/data-field="queued">5</);
    expect(exportsRow).toMatch(/data-field="scheduled">2</);
    expect(exportsRow).toMatch(/data-field="running">0</);
    expect(exportsRow).toMatch(/data-field="concurrency">3</);
    expect(exportsRow).toMatch(/data-field="oldest-wait">\d+ ms|[\d.]+ s</);
    expect(exportsRow).toContain("active");
    expect(rowOf(page, "reports")).toContain("paused");
    expect(rowOf(page, "webhooks")).toMatch(/data-field="queued">0</);
    expect(page.match(/<tr data-lane=/g)).toHaveLength(10);
    expect(page).not.toContain("data-api-post");
    expect(page).not.toMatch(/>(Pause|Resume)<\/button>/);
  });

  it("gives an operator Pause for active lanes and Resume for paused ones", async () => {
    const session = await dashboardSession("operate");
    const page = await (
      await testApp().request("/dashboard/lanes", { headers: session.headers })
    ).text();
    expect(rowOf(page, "reports")).toContain('data-api-post="/api/lanes/reports/resume"');
    expect(rowOf(page, "reports")).not.toContain("/pause");
    expect(rowOf(page, "exports")).toContain('data-api-post="/api/lanes/exports/pause"');
    expect(page.match(/>Pause<\/button>/g)).toHaveLength(9);
    expect(page.match(/>Resume<\/button>/g)).toHaveLength(1);
  });
});
