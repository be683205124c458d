import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { cancelExecution } from "../../../src/engine/control/cancel.ts";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { recoverLostWorkers } from "../../../src/engine/fleet/crashRecovery.ts";
import {
  PARKED_BY,
  UnknownTaskSweeper,
  unknownTaskList,
} from "../../../src/engine/fleet/unknownTasks.ts";
import { reconcileVanishedJobs } from "../../../src/engine/ledger/reconcile.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { db, emptyQueue, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";

/** A task a deploy removed: enqueued by code that knew it, known to no running worker. */
const removedTask = defineTask({
  name: "removed_task",
  lane: "analytics",
  payload: z.object({ n: z.number() }),
  run: async ({ n }) => ({ n }),
});

/** A task of the same lane that the running workers know. */
const keptTask = defineTask({
  name: "kept_task",
  lane: "analytics",
  payload: z.object({ n: z.number() }),
  run: async ({ n }) => ({ n }),
});

const enqueueRemoved = (count: number) =>
  enqueueMany(
    db(),
    Array.from({ length: count }, (_, n) => ({ task: removedTask, payload: { n } })),
  );

let fakeWorkers = 0;
/** A live worker row, as another process of the fleet registers it; `tasks` null: it did not say. */
async function fakeWorker(tasks: string[] | null): Promise<string> {
  const id = `fake-${++fakeWorkers}`;
  await db()
    .insertInto("workers")
    .values({ id, type: "all", lanes: [], tasks, host: "h", pid: 1 })
    .execute();
  return id;
}

// Each test starts from an empty queue and no live worker (test workers stop after each test).
beforeEach(emptyQueue);

const sweeper = () =>
  new UnknownTaskSweeper(db(), { silentAfterMs: 30_000, parkEveryMs: 0, batchSize: 1_000 });

async function parkedCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from graphile_worker._private_jobs
    where locked_by = ${PARKED_BY}`.execute(db());
  return rows[0]?.n ?? 0;
}

async function statusCounts(ids: string[]): Promise<Record<string, number>> {
  const rows = await db()
    .selectFrom("executions")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
    .where("public_id", "in", ids)
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

/**
 * graphile-worker's job fetch for `taskNames`, as its runners send it, explained as run: the
 * jobs its scan read and threw away before it found one to take.
 */
async function fetchScan(taskNames: string[]) {
  await sql`analyze graphile_worker._private_jobs`.execute(db());
  const { rows } = await sql<{ "QUERY PLAN": [{ Plan: PlanNode }] }>`
    explain (analyze, format json)
    select jobs.id from graphile_worker._private_jobs as jobs
    where jobs.is_available = true and run_at <= now()
      and task_id = any(array(select id from graphile_worker._private_tasks
                              where identifier = any(${taskNames}::text[])))
      and (jobs.job_queue_id is null or jobs.job_queue_id in (
        select id from graphile_worker._private_job_queues as job_queues
        where job_queues.is_available = true
        for update skip locked))
    order by priority asc, run_at asc
    limit 1
    for update skip locked`.execute(db());
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk((rows[0] as { "QUERY PLAN": [{ Plan: PlanNode }] })["QUERY PLAN"][0].Plan);
  const scan = nodes.find((node) => node["Relation Name"] === "_private_jobs");
  return {
    index: scan?.["Index Name"] ?? null,
    discarded: scan?.["Rows Removed by Filter"] ?? 0,
    found: scan?.["Actual Rows"] ?? 0,
  };
}

/** graphile-worker's fetch indexes: both hold only available jobs. */
const fetchIndex = expect.stringMatching(/^jobs_(main|no_queue)_index$/);

interface PlanNode {
  "Relation Name"?: string;
  "Index Name"?: string;
  "Rows Removed by Filter"?: number;
  "Actual Rows"?: number;
  Plans?: PlanNode[];
}

describe("jobs of a task no live worker knows", () => {
  it("are parked out of the fetch by a live worker's heartbeat, which still takes its own jobs", async () => {
    const removed = await enqueueRemoved(5_000);
    const before = await fetchScan([keptTask.name]);
    const kept = await enqueue(db(), keptTask, { n: 1 });

    // Before any sweep, a fetch for the known task walks past all 5,000.
    expect(before).toEqual({ index: fetchIndex, discarded: 5_000, found: 0 });

    await startTestWorker([keptTask], { silentAfterMs: 1_000, heartbeatIntervalMs: 100 });
    expect(await waitForStatus(kept, "succeeded")).toMatchObject({ result: { n: 1 } });
    await waitFor(async () => (await parkedCount()) === 5_000, 20_000);

    await enqueue(db(), keptTask, { n: 2 }, { delayMs: 60_000 });
    expect(await fetchScan([keptTask.name])).toEqual({ index: fetchIndex, discarded: 0, found: 0 });
    // Parked, their executions still wait; nothing else calls them crashed or gone.
    expect(await statusCounts(removed)).toEqual({ queued: 5_000 });
    expect(await unknownTaskList(db())).toEqual([{ task_name: "removed_task", waiting: 5_000 }]);
  }, 60_000);

  it("are unparked as soon as a worker that knows the task starts, and run", async () => {
    const ids = await enqueueRemoved(3);
    await fakeWorker([keptTask.name]);
    expect(await sweeper().sweep()).toEqual({ parked: 3, unparked: 0 });
    expect(await parkedCount()).toBe(3);

    const worker = await startTestWorker([removedTask], { heartbeatIntervalMs: 100 });
    const rows = await Promise.all(ids.map((id) => waitForStatus(id, "succeeded")));
    expect(rows.map((row) => row.worker_id)).toEqual([worker.id, worker.id, worker.id]);
    expect(await parkedCount()).toBe(0);
  });

  it("are parked and unparked in bounded batches", async () => {
    await enqueueRemoved(2_500);
    await fakeWorker([keptTask.name]);
    const small = new UnknownTaskSweeper(db(), {
      silentAfterMs: 30_000,
      parkEveryMs: 60_000,
      batchSize: 1_000,
      maxBatches: 2,
    });
    // The first look comes one period after the sweeper is made...
    expect(await small.sweep()).toEqual({ parked: 0, unparked: 0 });
    const early = new UnknownTaskSweeper(db(), {
      silentAfterMs: 30_000,
      parkEveryMs: 0,
      batchSize: 1_000,
      maxBatches: 2,
    });
    // ...then at most two batches a sweep; one that was cut short goes on at the next sweep.
    expect(await early.sweep()).toEqual({ parked: 2_000, unparked: 0 });
    expect(await early.sweep()).toEqual({ parked: 500, unparked: 0 });

    await fakeWorker([removedTask.name]);
    expect(await early.sweep()).toEqual({ parked: 0, unparked: 2_000 });
    expect(await early.sweep()).toEqual({ parked: 0, unparked: 500 });
    expect(await parkedCount()).toBe(0);
  });

  it("stay where they are without a live worker, or while one does not say what it knows", async () => {
    await enqueueRemoved(2);
    expect(await sweeper().sweep()).toEqual({ parked: 0, unparked: 0 });

    const vague = await fakeWorker(null);
    await fakeWorker([keptTask.name]);
    expect(await sweeper().sweep()).toEqual({ parked: 0, unparked: 0 });

    await db()
      .updateTable("workers")
      .set({ stopped_at: sql`now()` })
      .where("id", "=", vague)
      .execute();
    expect(await sweeper().sweep()).toEqual({ parked: 2, unparked: 0 });

    // A worker of an older version comes back: it may know the task.
    await fakeWorker(null);
    expect(await sweeper().sweep()).toEqual({ parked: 0, unparked: 2 });
  });

  it("are left parked by crash recovery and the reconcile sweep, and a cancel ends one at once", async () => {
    const [first, second] = await enqueueRemoved(2);
    await fakeWorker([keptTask.name]);
    expect((await sweeper().sweep()).parked).toBe(2);
    await db()
      .insertInto("workers")
      .values({
        id: "fake-silent",
        type: "all",
        lanes: [],
        tasks: [],
        host: "h",
        pid: 1,
        graphile_worker_ids: ["worker-gone"],
        last_seen_at: new Date(Date.now() - 120_000),
      })
      .execute();
    expect((await recoverLostWorkers(db(), { silentAfterMs: 30_000 })).map((w) => w.id)).toEqual([
      "fake-silent",
    ]);
    expect(await reconcileVanishedJobs(db())).toBe(0);
    expect(await parkedCount()).toBe(2);
    expect(await statusCounts([first as string, second as string])).toEqual({ queued: 2 });

    const outcome = await db()
      .transaction()
      .execute((trx) => cancelExecution(trx, first as string));
    expect(outcome).toBe("cancelled");
    expect(await statusCounts([first as string])).toEqual({ cancelled: 1 });
    expect(await parkedCount()).toBe(1);
  });

  it("refuses options that would never sweep", () => {
    expect(() => new UnknownTaskSweeper(db(), { silentAfterMs: 1_000, batchSize: 0 })).toThrow(
      "batchSize",
    );
    expect(() => new UnknownTaskSweeper(db(), { silentAfterMs: Number.NaN })).toThrow(
      "silentAfterMs",
    );
  });
});
