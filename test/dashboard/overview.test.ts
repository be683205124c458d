import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { executionThroughput } from "../../src/monitoring/executionThroughput.ts";
import { testApp } from "../support/app.ts";
import { dashboardSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";

const digest = defineTask({
  name: "overview_digest",
  lane: "reports",
  payload: z.object({ n: z.number().int() }),
  run: async () => null,
});

/** Adds `executions` ended `minutesAgo` to the per-minute rollups. */
async function ended(minutesAgo: number, status: string, executions: number) {
  await sql`
    insert into execution_minutes
      (minute, lane, task_name, status, bucket, executions, run_seconds_sum, wait_seconds_sum)
    values (date_trunc('minute', now()) - ${minutesAgo}::int * interval '1 minute', 'reports',
            'overview_digest', ${status}, 3, ${executions}, ${executions * 0.4}, 0)`.execute(
    testDb().db,
  );
}

const figure = (page: string, name: string) =>
  new RegExp(`data-figure="${name}">([^<]*)<`).exec(page)?.[1];

beforeAll(async () => {
  const { db } = testDb();
  await ended(3, "succeeded", 7);
  await ended(3, "dead", 2);
  await ended(41, "cancelled", 1);
  await ended(120, "succeeded", 5);
  await ended(3 * 24 * 60, "succeeded", 11);
  await ended(3 * 24 * 60, "dead", 4);
  // Outside every window.
  await ended(8 * 24 * 60 + 30, "succeeded", 1000);
  for (const n of [1, 2, 3]) await enqueue(db, digest, { n });
  await enqueue(db, digest, { n: 4 }, { delayMs: 3_600_000 });
  await db
    .insertInto("workers")
    .values([
      { id: "w-alive", type: "processing", lanes: ["recordings"], host: "host-a", pid: 4242 },
      { id: "w-alive-2", type: "processing", lanes: ["analytics"], host: "host-a", pid: 4243 },
      { id: "w-reports", type: "reports", lanes: ["reports"], host: "host-b", pid: 77 },
    ])
    .execute();
  await db
    .insertInto("alerts")
    .values({
      condition: "lane_backlog",
      instance_key: "reports",
      severity: "warning",
      summary: "Lane reports has 3 jobs waiting",
      details: JSON.stringify({}),
    })
    .execute();
});

describe("executionThroughput", () => {
  it("counts the rollups per bucket within each window", async () => {
    const hour = await executionThroughput(testDb().db, { window: "1h" });
    expect(hour.buckets).toHaveLength(60);
    expect(hour.totals).toEqual({ succeeded: 7, dead: 2, cancelled: 1, expired: 0 });
    expect(hour.buckets.filter((b) => b.succeeded > 0).map((b) => b.succeeded)).toEqual([7]);
    const day = await executionThroughput(testDb().db, { window: "24h" });
    expect(day.buckets).toHaveLength(24);
    expect(day.totals).toEqual({ succeeded: 12, dead: 2, cancelled: 1, expired: 0 });
    const week = await executionThroughput(testDb().db, { window: "7d" });
    expect(week.buckets).toHaveLength(28);
    expect(week.totals).toEqual({ succeeded: 23, dead: 6, cancelled: 1, expired: 0 });
    expect(week.buckets.every((b, i) => i === 0 || b.start > (week.buckets[i - 1]?.start ?? 0)));
  });
});

describe("the overview page", () => {
  it("shows health, open alerts, the hour's figures, lanes and live workers per type", async () => {
    const session = await dashboardSession("read");
    const response = await testApp().request("/dashboard", { headers: session.headers });
    expect(response.status).toBe(200);
    expect(response.headers.get("server-timing")).toMatch(/^app;dur=\d+(\.\d)?$/);
    const page = await response.text();
    expect(page).toMatch(/Health <span class="status status-(healthy|degraded)"/);
    expect(page).toContain("Lane reports has 3 jobs waiting");
    expect(figure(page, "succeeded")).toBe("7");
    expect(figure(page, "failed")).toBe("2");
    expect(figure(page, "cancelled")).toBe("1");
    expect(figure(page, "success-rate")).toBe("77.8%");
    expect(figure(page, "backlog")).toBe("3");
    expect(figure(page, "workers")).toBe("3");
    expect(page).toMatch(/data-worker-type="processing">2</);
    expect(page).toMatch(/data-worker-type="reports">1</);
    const reportsRow = /<tr data-lane="reports">([\s\S]*?)<\/tr>/.exec(page)?.[1] ?? "";
    expect(reportsRow).toMatch(/data-field="queued">3</);
    expect(reportsRow).toMatch(/data-field="scheduled">1</);
    // The chart: an image with a title, a description and both series.
    expect(page).toMatch(/<svg [^>]*role="img"/);
    expect(page).toContain("<title id=");
    expect(page).toContain("7 succeeded, 2 failed");
    expect(page.match(/<rect x=/g)).toHaveLength(2);
    expect(page).not.toMatch(/style="/);
    expect(page).toContain('href="/dashboard?window=24h"');
    expect(page).not.toContain("data-api-post");
  });

  it("switches to the last 24 hours and the last 7 days", async () => {
    const session = await dashboardSession("read");
    const app = testApp();
    const day = await (
      await app.request("/dashboard?window=24h", { headers: session.headers })
    ).text();
    expect(figure(day, "succeeded")).toBe("12");
    expect(day).toMatch(/href="\/dashboard\?window=24h" aria-current="page"/);
    const week = await (
      await app.request("/dashboard?window=7d", { headers: session.headers })
    ).text();
    expect(figure(week, "succeeded")).toBe("23");
    expect(figure(week, "failed")).toBe("6");
    // An unknown window falls back to the hour.
    const other = await (
      await app.request("/dashboard?window=1y", { headers: session.headers })
    ).text();
    expect(figure(other, "succeeded")).toBe("7");
  });
});

describe("executionThroughput over hours", () => {
  it("reuses settled buckets and still counts the recent minutes", async () => {
    const { db } = testDb();
    const first = await executionThroughput(db, { window: "7d" });
    expect(first.totals.succeeded).toBe(23);
    await ended(2, "succeeded", 4);
    const again = await executionThroughput(db, { window: "7d" });
    expect(again.totals).toEqual({ ...first.totals, succeeded: 27 });
    expect(again.buckets.map((b) => b.start)).toEqual(first.buckets.map((b) => b.start));
  });
});
