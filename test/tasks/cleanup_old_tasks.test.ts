import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { executionCancel } from "../../src/control/cancel.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import type { RetentionSettings } from "../../src/maintenance/retentionSettings.ts";
import { runTask } from "../../src/testing/runTask.ts";
import cleanupOldCallLogs from "../../tasks/cleanup_old_call_logs.ts";
import cleanupOldTasks from "../../tasks/cleanup_old_tasks.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";

const retention: RetentionSettings = { executionDays: 30, callLogDays: 7, auditDays: 365 };
// The retention tasks read `services.retention` only.
const services = { retention } as CallCenterServices;

beforeEach(async () => {
  await sql`truncate executions, execution_attempts, audit_log, webhook_logs, call_events
            restart identity cascade`.execute(db());
});

/** `count` succeeded executions named `name` that ended `daysAgo` days ago. */
async function addEnded(name: string, daysAgo: number, count = 1) {
  await sql`
    insert into executions (task_name, lane, status, payload, priority, max_attempts,
                            created_at, started_at, finished_at)
    select ${name}, 'maintenance', 'succeeded', '{}', 1, 1, t, t, t
    from generate_series(1, ${count}::int),
         lateral (select now() - ${daysAgo} * interval '1 day' as t) s`.execute(db());
}

const taskNames = async () =>
  (
    await db()
      .selectFrom("executions")
      .select("task_name")
      .distinct()
      .orderBy("task_name")
      .execute()
  ).map((row) => row.task_name);

describe("cleanup_old_tasks", () => {
  it("deletes executions past EXECUTION_RETENTION_DAYS and audit rows past AUDIT_RETENTION_DAYS", async () => {
    await addEnded("forty_days", 40, 3);
    await addEnded("twenty_days", 20);
    for (const days of [400, 300]) {
      await db()
        .insertInto("audit_log")
        .values({
          actor: "cli:test",
          action: `${days}_days`,
          outcome: "done",
          at: sql<Date>`now() - ${days} * interval '1 day'`,
        })
        .execute();
    }
    const { result, execution } = await runTask(
      db(),
      cleanupOldTasks,
      { batch_size: 2 },
      { services },
    );
    expect(result.executions).toMatchObject({ deleted: 3, batches: 2, largestBatch: 2 });
    expect(execution.progress).toBe(100);
    expect(result.audit_log).toMatchObject({ deleted: 1 });
    // The run's own execution is live while it runs, so it stays.
    expect(await taskNames()).toEqual(["cleanup_old_tasks", "twenty_days"]);
    const audit = await db().selectFrom("audit_log").select("action").execute();
    expect(audit).toEqual([{ action: "300_days" }]);
  });

  it("takes seed 001's max_age_hours over the setting", async () => {
    await addEnded("two_days", 2);
    await addEnded("twelve_hours", 0.5);
    const { result } = await runTask(db(), cleanupOldTasks, { max_age_hours: 24 }, { services });
    expect(result.executions.deleted).toBe(1);
    expect(await taskNames()).toEqual(["cleanup_old_tasks", "twelve_hours"]);
  });

  it("refuses a bad payload, naming the field, and writes nothing", async () => {
    await expect(runTask(db(), cleanupOldTasks, { batch_size: 0 }, { services })).rejects.toThrow(
      /batch_size/,
    );
    await expect(
      runTask(db(), cleanupOldTasks, { max_age_hours: -1 }, { services }),
    ).rejects.toThrow(/max_age_hours/);
    expect(await taskNames()).toEqual([]);
  });

  it("stops when its execution is cancelled, keeping what it had not reached", async () => {
    await addEnded("old", 40, 3_000);
    await startTestWorker([cleanupOldTasks], { services });
    const publicId = await enqueue(db(), cleanupOldTasks, { batch_size: 1 });
    await waitFor(async () => {
      const row = await db()
        .selectFrom("executions")
        .select((e) => e.fn.countAll<number>().as("n"))
        .where("task_name", "=", "old")
        .executeTakeFirstOrThrow();
      return Number(row.n) < 2_990 ? true : undefined;
    }, 20_000);
    await executionCancel(db(), { publicId, actor: "cli:test" });
    const ended = await waitForStatus(publicId, "cancelled");
    expect(ended.status).toBe("cancelled");
    const left = await db()
      .selectFrom("executions")
      .select((e) => e.fn.countAll<number>().as("n"))
      .where("task_name", "=", "old")
      .executeTakeFirstOrThrow();
    const stoppedAt = Number(left.n);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(2_990);
    // Nothing more goes once it has stopped.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await db()
      .selectFrom("executions")
      .select((e) => e.fn.countAll<number>().as("n"))
      .where("task_name", "=", "old")
      .executeTakeFirstOrThrow();
    expect(Number(later.n)).toBe(stoppedAt);
  });
});

describe("cleanup_old_call_logs", () => {
  it("deletes webhook logs and call events past CALL_LOG_RETENTION_DAYS", async () => {
    for (const days of [8, 6]) {
      await db()
        .insertInto("webhook_logs")
        .values({
          kind: "call-status",
          url: `https://calls.example/${days}`,
          params: "{}",
          signature_valid: true,
          received_at: sql<Date>`now() - ${days} * interval '1 day'`,
        })
        .execute();
      await db()
        .insertInto("call_events")
        .values({
          call_sid: `CA${days}`,
          status: "completed",
          payload: "{}",
          received_at: sql<Date>`now() - ${days} * interval '1 day'`,
        })
        .execute();
    }
    const { result } = await runTask(db(), cleanupOldCallLogs, {}, { services });
    expect(result.webhook_logs.deleted).toBe(1);
    expect(result.call_events.deleted).toBe(1);
    expect(await db().selectFrom("webhook_logs").select("url").execute()).toEqual([
      { url: "https://calls.example/6" },
    ]);
    expect(await db().selectFrom("call_events").select("call_sid").execute()).toEqual([
      { call_sid: "CA6" },
    ]);
  });
});
