import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseCrontabEntries } from "../../src/engine/crontab.ts";
import { defineTask } from "../../src/engine/task.ts";
import { scheduleList } from "../../src/monitoring/schedule.ts";
import { wallClockOf } from "../../src/shared/wallClock.ts";
import { seedCrontab } from "../support/crontab.ts";
import { db, startTestWorker, waitFor } from "../support/engine.ts";

describe("the schedule", () => {
  it("lists every seed 000 entry with its next run in REPORT_TIMEZONE", async () => {
    const entries = parseCrontabEntries(seedCrontab(), { localTimeZone: "America/New_York" });
    // The Saturday before New York's spring-forward Sunday.
    const list = await scheduleList(db(), entries, new Date("2026-03-07T12:01:30Z"));
    const next = Object.fromEntries(
      list.map((entry) => [
        entry.task,
        [entry.time_zone, entry.next_run?.at, entry.next_run?.local],
      ]),
    );
    const ny = "America/New_York";
    expect(next).toEqual({
      process_pending_recordings: ["UTC", "2026-03-07T12:03:00.000Z", "2026-03-07T12:03:00+00:00"],
      system_health_check: ["UTC", "2026-03-07T12:05:00.000Z", "2026-03-07T12:05:00+00:00"],
      check_failed_webhooks: ["UTC", "2026-03-07T12:10:00.000Z", "2026-03-07T12:10:00+00:00"],
      transcribe_pending_recordings: [
        "UTC",
        "2026-03-07T12:10:00.000Z",
        "2026-03-07T12:10:00+00:00",
      ],
      update_all_agent_metrics: ["UTC", "2026-03-07T12:15:00.000Z", "2026-03-07T12:15:00+00:00"],
      optimize_queue_routing: ["UTC", "2026-03-07T12:30:00.000Z", "2026-03-07T12:30:00+00:00"],
      cleanup_stale_calls: ["UTC", "2026-03-07T13:00:00.000Z", "2026-03-07T13:00:00+00:00"],
      cleanup_expired_exports: ["UTC", "2026-03-07T12:15:00.000Z", "2026-03-07T12:15:00+00:00"],
      calculate_hourly_metrics: [ny, "2026-03-07T12:05:00.000Z", "2026-03-07T07:05:00-05:00"],
      archive_old_recordings: [ny, "2026-03-08T05:30:00.000Z", "2026-03-08T00:30:00-05:00"],
      // 02:00 does not exist on the 8th in New York: the daily report runs once, at 03:00 EDT.
      generate_daily_report: [ny, "2026-03-08T07:00:00.000Z", "2026-03-08T03:00:00-04:00"],
      generate_weekly_report: [ny, "2026-03-09T07:00:00.000Z", "2026-03-09T03:00:00-04:00"],
      generate_monthly_report: [ny, "2026-04-01T08:00:00.000Z", "2026-04-01T04:00:00-04:00"],
      cleanup_expired_sessions: [ny, "2026-03-08T05:00:00.000Z", "2026-03-08T00:00:00-05:00"],
      cleanup_old_call_logs: [ny, "2026-03-08T06:00:00.000Z", "2026-03-08T01:00:00-05:00"],
      // 04:30 local, after the clocks went forward at 02:00.
      cleanup_old_tasks: [ny, "2026-03-08T08:30:00.000Z", "2026-03-08T04:30:00-04:00"],
    });
    expect(list.map((entry) => entry.schedule)).toContain("0 4 1 * *");
    expect(list.every((entry) => entry.last_run === null)).toBe(true);
  });

  it("links the last run to the execution it became once the scheduler fired", async () => {
    const timeZone = "America/New_York";
    const nightly = defineTask({
      name: "nightly_noop",
      lane: "maintenance",
      payload: z.object({}),
      run: async () => "done",
    });
    // A local-time entry for the minute just past; the scheduler backfills it as it starts.
    const minute = Date.now() - (Date.now() % 60_000) - 60_000;
    const wall = new Date(wallClockOf(minute, timeZone));
    const entries = parseCrontabEntries(
      `${wall.getUTCMinutes()} ${wall.getUTCHours()} * * * nightly_noop ?tz=local&fill=10m`,
      { localTimeZone: timeZone },
    );
    await sql`insert into graphile_worker._private_known_crontabs (identifier, known_since)
              values ('nightly_noop', now() - interval '1 hour')`.execute(db());
    const before = await scheduleList(db(), entries);
    expect(before[0]?.last_run).toBeNull();

    await startTestWorker([nightly], { cronItems: entries.map((entry) => entry.item) });
    const [listed] = await waitFor(async () => {
      const list = await scheduleList(db(), entries);
      return list[0]?.last_run?.execution?.status === "succeeded" && list;
    });
    const execution = await db()
      .selectFrom("executions")
      .select(["public_id", "run_at"])
      .where("task_name", "=", "nightly_noop")
      .where("correlation_id", "=", "crontab")
      .executeTakeFirstOrThrow();
    expect(execution.run_at.getTime()).toBe(minute);
    expect(listed?.last_run).toEqual({
      at: new Date(minute).toISOString(),
      local: expect.stringMatching(new RegExp(`^${wall.toISOString().slice(0, 16)}:00-0[45]:00$`)),
      execution: { id: execution.public_id, status: "succeeded" },
    });
    // Tomorrow at the same local time.
    expect(listed?.next_run?.local.slice(11, 16)).toBe(wall.toISOString().slice(11, 16));
    expect(Date.parse(listed?.next_run?.at ?? "") - minute).toBeGreaterThanOrEqual(23 * 3_600_000);
  });
});
