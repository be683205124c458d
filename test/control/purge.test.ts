import { sql } from "kysely";
import pg from "pg";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { executionPurge, type PurgeProgress } from "../../src/control/purge.ts";
import { CANCEL_CHANNEL } from "../../src/engine/control/cancel.ts";
import { PurgeSelectionEmpty } from "../../src/engine/control/purge.ts";
import { enqueueMany } from "../../src/engine/enqueue.ts";
import { PARKED_BY, UnknownTaskSweeper } from "../../src/engine/fleet/unknownTasks.ts";
import { defineTask } from "../../src/engine/task.ts";
import type { AnyTask } from "../../src/engine/types.ts";
import { testDatabaseUrl } from "../support/database.ts";
import { db, emptyQueue, startTestWorker, waitForStatus } from "../support/engine.ts";
import { waitsForCancel } from "../support/fixtures/processTasks.ts";

const task = (name: string, lane: AnyTask["lane"]) =>
  defineTask({ name, lane, payload: z.object({ n: z.number() }), run: async ({ n }) => ({ n }) });
const nightlyReport = task("nightly_report", "reports");
const weeklyReport = task("weekly_report", "reports");
const removedTask = task("removed_task", "reports");
const analyticsRollup = task("analytics_rollup", "analytics");

const enqueueN = (t: AnyTask, count: number, delayMs?: number) =>
  enqueueMany(
    db(),
    Array.from({ length: count }, (_, n) => ({
      task: t,
      payload: { n },
      options: delayMs ? { delayMs } : {},
    })),
  );

const operator = { actor: "test-operator", requestId: "req-1" };

/** Every execution, by task and status, with how many still have a job. */
async function ledger() {
  const { rows } = await sql<{ task_name: string; status: string; n: number; with_job: number }>`
    select e.task_name, e.status, count(*)::int as n, count(j.id)::int as with_job
    from executions e left join graphile_worker._private_jobs j on j.id = e.job_id
    group by 1, 2 order by 1, 2`.execute(db());
  return rows;
}

async function purgeAudit() {
  return db()
    .selectFrom("audit_log")
    .select(["actor", "action", "target_ids", "details", "outcome", "request_id"])
    .where("action", "=", "execution.purge")
    .orderBy("id")
    .execute();
}

beforeEach(async () => {
  await emptyQueue();
  await db().deleteFrom("audit_log").execute();
});

describe("purge", () => {
  it("cancels every waiting execution of a lane in batches, audited once, touching nothing else", async () => {
    await enqueueN(nightlyReport, 1_500);
    await enqueueN(weeklyReport, 600, 600_000);
    const retrying = await enqueueN(weeklyReport, 40);
    await db()
      .updateTable("executions")
      .set({ status: "retrying" })
      .where("public_id", "in", retrying)
      .execute();
    await enqueueN(analyticsRollup, 30);
    await startTestWorker([waitsForCancel]);
    const [running] = await enqueueMany(db(), [{ task: waitsForCancel, payload: {} }]);
    await waitForStatus(running as string, "running");

    const progress: PurgeProgress[] = [];
    const report = await executionPurge(db(), {
      lane: "reports",
      batchSize: 500,
      onProgress: (step) => progress.push(step),
      ...operator,
    });

    // queued 500 + 500 + 500 + 0, scheduled 500 + 100, retrying 40.
    expect(report).toMatchObject({ cancelled: 2_140, cancelRequested: 0, batches: 7 });
    expect(progress.map((step) => step.cancelled)).toEqual([
      500, 1_000, 1_500, 1_500, 2_000, 2_100, 2_140,
    ]);
    expect(await ledger()).toEqual([
      { task_name: "analytics_rollup", status: "queued", n: 30, with_job: 30 },
      { task_name: "long_running_task", status: "running", n: 1, with_job: 1 },
      { task_name: "nightly_report", status: "cancelled", n: 1_500, with_job: 0 },
      { task_name: "weekly_report", status: "cancelled", n: 640, with_job: 0 },
    ]);
    const { rows: jobs } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs`.execute(db());
    expect(jobs[0]?.n).toBe(31);
    expect(await purgeAudit()).toEqual([
      {
        actor: operator.actor,
        request_id: operator.requestId,
        action: "execution.purge",
        target_ids: [],
        details: { lane: "reports", task_name: null, cancelled: 2_140, cancel_requested: 0 },
        outcome: "purged",
      },
    ]);
  });

  it("cancels a task's executions, parked jobs included, and leaves its lane's other tasks", async () => {
    const removed = await enqueueN(removedTask, 1_200);
    await enqueueN(nightlyReport, 10);
    await db()
      .insertInto("workers")
      .values({
        id: "fleet",
        type: "all",
        lanes: [],
        tasks: [nightlyReport.name],
        host: "h",
        pid: 1,
      })
      .execute();
    const sweeper = new UnknownTaskSweeper(db(), { silentAfterMs: 30_000, parkEveryMs: 0 });
    expect(await sweeper.sweep()).toEqual({ parked: 1_200, unparked: 0 });

    const report = await executionPurge(db(), { taskName: removedTask.name, ...operator });
    expect(report).toMatchObject({ cancelled: 1_200, batches: 4 });
    expect(await ledger()).toEqual([
      { task_name: "nightly_report", status: "queued", n: 10, with_job: 10 },
      { task_name: "removed_task", status: "cancelled", n: 1_200, with_job: 0 },
    ]);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs
      where locked_by = ${PARKED_BY}`.execute(db());
    expect(rows[0]?.n).toBe(0);
    expect(removed).toHaveLength(1_200);
    expect((await purgeAudit())[0]?.details).toEqual({
      lane: null,
      task_name: "removed_task",
      cancelled: 1_200,
      cancel_requested: 0,
    });
  });

  it("asks the worker that already took a job to stop it", async () => {
    const [taken, waiting] = await enqueueN(nightlyReport, 2);
    await sql`
      update graphile_worker._private_jobs set locked_at = now(), locked_by = 'some-worker'
      where id = (select job_id from executions where public_id = ${taken as string})`.execute(
      db(),
    );
    const listener = new pg.Client({ connectionString: testDatabaseUrl() });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (message) => heard.push(message.payload ?? ""));
    await listener.query(`listen ${CANCEL_CHANNEL}`);
    try {
      const report = await executionPurge(db(), { lane: "reports", ...operator });
      expect(report).toMatchObject({ cancelled: 1, cancelRequested: 1 });
      const rows = await db()
        .selectFrom("executions")
        .select(["id", "public_id", "status", "cancel_requested_at"])
        .execute();
      const takenRow = rows.find((row) => row.public_id === taken);
      expect(takenRow).toMatchObject({ status: "queued", cancel_requested_at: expect.any(Date) });
      expect(rows.find((row) => row.public_id === waiting)?.status).toBe("cancelled");
      await expect.poll(() => heard).toEqual([String(takenRow?.id)]);
    } finally {
      await listener.end();
    }
  });

  it("leaves an interrupted purge's audit row counting what it cancelled", async () => {
    await enqueueN(nightlyReport, 250);
    const interrupted = executionPurge(db(), {
      lane: "reports",
      batchSize: 100,
      onProgress: ({ batches }) => {
        if (batches === 2) throw new Error("operator pressed ctrl-c");
      },
      ...operator,
    });
    await expect(interrupted).rejects.toThrow("ctrl-c");
    expect(await ledger()).toEqual([
      { task_name: "nightly_report", status: "cancelled", n: 200, with_job: 0 },
      { task_name: "nightly_report", status: "queued", n: 50, with_job: 50 },
    ]);
    const [row] = await purgeAudit();
    expect(row).toMatchObject({ outcome: "purging", details: { cancelled: 200 } });
  });

  it("refuses a purge that names neither a lane nor a task, changing nothing", async () => {
    await enqueueN(nightlyReport, 3);
    await expect(executionPurge(db(), { ...operator })).rejects.toThrow(PurgeSelectionEmpty);
    expect(await ledger()).toEqual([
      { task_name: "nightly_report", status: "queued", n: 3, with_job: 3 },
    ]);
    expect(await purgeAudit()).toEqual([]);
  });
});
