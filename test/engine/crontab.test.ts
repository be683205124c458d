import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadCrontab } from "../../src/engine/crontab.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { defineTask } from "../../src/engine/task.ts";
import { tasks } from "../../tasks/index.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";

const registry = new TaskRegistry(tasks);

describe("loadCrontab", () => {
  it("reads the repository's crontab: every task known, report times in REPORT_TIMEZONE", async () => {
    const entries = await loadCrontab("crontab", registry, { localTimeZone: "Europe/Berlin" });
    const zones = Object.fromEntries(entries.map((entry) => [entry.task, entry.timeZone]));
    expect(zones).toMatchObject({
      generate_daily_report: "Europe/Berlin",
      generate_weekly_report: "Europe/Berlin",
      generate_monthly_report: "Europe/Berlin",
      archive_old_recordings: "Europe/Berlin",
      calculate_hourly_metrics: "Europe/Berlin",
      system_health_check: "UTC",
      process_pending_recordings: "UTC",
      cleanup_old_call_logs: "Europe/Berlin",
      cleanup_old_tasks: "Europe/Berlin",
      cleanup_expired_sessions: "Europe/Berlin",
    });
  });

  it("names the file and the task of a line no task answers, and reads a missing file as empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crontab-"));
    const file = join(dir, "crontab");
    await writeFile(file, "0 0 * * * clean_everything ?tz=local\n");
    await expect(loadCrontab(file, registry)).rejects.toThrow(
      `${file}: unknown task "clean_everything"`,
    );
    expect(await loadCrontab(join(dir, "absent"), registry)).toEqual([]);
  });
});

describe("a crontab run's payload", () => {
  it("is what the task's scheduledPayload makes for the scheduled minute, recorded and run", async () => {
    const nightly = defineTask({
      name: "nightly_period",
      lane: "reports",
      payload: z.object({ label: z.string(), scheduled_for: z.string() }),
      scheduledPayload: (payload, scheduledAt) => ({
        ...payload,
        scheduled_for: scheduledAt.toISOString(),
      }),
      run: async (payload) => payload,
    });
    await startTestWorker([nightly]);
    // Scheduled for a minute long past; it starts now.
    await sql`select graphile_worker.add_job('nightly_period',
      json_build_object('label', 'x', '_cron', json_build_object('ts', '2026-03-08T07:00:00.000Z')),
      flags => array['reports'])`.execute(db());
    const row = await waitFor(() =>
      db()
        .selectFrom("executions")
        .selectAll()
        .where("task_name", "=", "nightly_period")
        .executeTakeFirst(),
    );
    const expected = { label: "x", scheduled_for: "2026-03-08T07:00:00.000Z" };
    expect(row.payload).toEqual(expected);
    const done = await waitForStatus(row.public_id, ["succeeded", "dead"]);
    expect(done.status).toBe("succeeded");
    expect(done.result).toEqual(expected);
  });
});
