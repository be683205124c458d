import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../support/app.ts";
import { dashboardSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";

beforeAll(async () => {
  const { db } = testDb();
  await db
    .insertInto("workers")
    .values([
      {
        id: "proc-1",
        type: "processing",
        lanes: ["recordings", "analytics"],
        host: "worker-host-1",
        pid: 4242,
        jobs_done: 1234,
        running_jobs: 2,
        started_at: sql<Date>`now() - interval '2 hours 5 minutes'`,
      },
      {
        id: "rt-silent",
        type: "realtime",
        lanes: ["webhooks", "realtime"],
        host: "worker-host-2",
        pid: 99,
        jobs_done: 5,
        started_at: sql<Date>`now() - interval '1 hour'`,
        last_seen_at: sql<Date>`now() - interval '10 minutes'`,
      },
    ])
    .execute();
});

const rowOf = (page: string, worker: string) =>
  new RegExp(`<tr data-worker="${worker}"[^>]*>([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? "";

describe("the workers page", () => {
  it("lists each worker with its type, host, pid, uptime and jobs, marking silent ones", async () => {
    const session = await dashboardSession("read");
    const response = await testApp().request("/dashboard/workers", { headers: session.headers });
    expect(response.status).toBe(200);
    const page = await response.text();
    const alive = rowOf(page, "proc-1");
    expect(alive).toContain("processing");
    expect(alive).toContain("worker-host-1");
    expect(alive).toContain(">4242<");
    expect(alive).toMatch(/>2 h 5 min</);
    expect(alive).toMatch(/data-field="jobs-done">1,234</);
    expect(alive).toMatch(/data-field="running">2</);
    expect(alive).toMatch(/status-alive" data-field="state">alive</);
    const silent = rowOf(page, "rt-silent");
    expect(silent).toMatch(/status-silent" data-field="state">silent</);
    expect(silent).toContain("worker-host-2");
    expect(page).toMatch(/data-figure="alive">1</);
    expect(page).toMatch(/data-figure="silent">1</);
    expect(page).not.toContain("data-api-post");
  });
});
