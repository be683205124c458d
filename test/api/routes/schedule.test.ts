import { describe, expect, it } from "vitest";
import { freePort } from "../../../src/database/embedded.ts";
import { createPool } from "../../../src/database/pool.ts";
import { parseCrontabEntries } from "../../../src/engine/crontab.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { seedCrontab, seedScheduledTasks } from "../../support/crontab.ts";

const entries = parseCrontabEntries(seedCrontab(), { localTimeZone: "Europe/Berlin" });

describe("GET /api/schedule/", () => {
  it("lists every entry with its zone and next run, local and UTC", async () => {
    const app = testApp(undefined, { schedule: entries });
    const before = Date.now();
    const response = await app.request("/api/schedule/", { headers: await authHeaders("read") });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      entries: {
        task: string;
        schedule: string;
        time_zone: string;
        next_run: { at: string; local: string };
        last_run: unknown;
      }[];
    };
    expect(body.entries.map((entry) => entry.task)).toEqual(
      expect.arrayContaining([
        ...seedScheduledTasks,
        "cleanup_stale_calls",
        "cleanup_expired_exports",
        "cleanup_old_tasks",
      ]),
    );
    expect(body.entries).toHaveLength(seedScheduledTasks.length + 3);
    const daily = body.entries.find((entry) => entry.task === "generate_daily_report");
    expect(daily).toMatchObject({
      schedule: "0 2 * * *",
      time_zone: "Europe/Berlin",
      last_run: null,
    });
    // 02:00 in Berlin every day of the year but the spring-forward day (03:00).
    expect(daily?.next_run.local).toMatch(/T0[23]:00:00\+0[12]:00$/);
    for (const entry of body.entries) {
      const at = Date.parse(entry.next_run.at);
      expect(at).toBeGreaterThanOrEqual(before - 60_000);
      expect(at - before).toBeLessThan(32 * 86_400_000);
      expect(entry.next_run.local.slice(0, 10)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("needs a token, and is described in the OpenAPI document", async () => {
    const app = testApp(undefined, { schedule: entries });
    expect((await app.request("/api/schedule/")).status).toBe(401);
    const doc = (await (
      await app.request("/api/openapi.json", { headers: await authHeaders("read") })
    ).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths["/api/schedule"]).toBeDefined();
    expect(doc.components.schemas.ScheduleEntry).toBeDefined();
  });

  it("answers 503 while the database is away", async () => {
    const pool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 1);
    try {
      const response = await testApp(pool, { schedule: entries }).request("/api/schedule/", {
        headers: { authorization: `Bearer sb_${"a".repeat(43)}` },
      });
      expect(response.status).toBe(503);
    } finally {
      await pool.end();
    }
  });
});
