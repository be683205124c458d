import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/database/pool.ts";
import { cancelExecution } from "../../src/engine/control/cancel.ts";
import type { ExecutionStatus } from "../../src/engine/executionStatus.ts";
import { LedgerWriter } from "../../src/engine/ledger/ledgerWriter.ts";
import { deleteOldExecutionMinutes } from "../../src/maintenance/executionMinuteRetention.ts";
import { checkHealth } from "../../src/monitoring/health.ts";
import { RUN_SECONDS_BUCKETS } from "../../src/monitoring/metricsQueries.ts";
import { quantileFromBuckets, taskTrends } from "../../src/monitoring/taskTrends.ts";
import { createTestPool } from "../support/database.ts";
import { db, silentLogger, waitFor } from "../support/engine.ts";

const systemClock = { now: () => Date.now() };

/** Inserts `count` executions of `task` in `status`; returns their ids. */
async function insertExecutions(
  task: string,
  status: ExecutionStatus,
  count: number,
  times: { runSecondsAgo?: number; startedSecondsAgo?: number; finishedSecondsAgo?: number } = {},
): Promise<number[]> {
  const at = (seconds: number | undefined) =>
    seconds === undefined ? sql`null` : sql`now() - ${seconds}::float8 * interval '1 second'`;
  const { rows } = await sql<{ id: number }>`
    insert into executions (task_name, lane, status, payload, priority, max_attempts, attempts,
                            run_at, started_at, finished_at)
    select ${task}, 'reports', ${status}, '{}', 3, 3, 1,
           coalesce(${at(times.runSecondsAgo)}, now()), ${at(times.startedSecondsAgo)},
           ${at(times.finishedSecondsAgo)}
    from generate_series(1, ${count})
    returning id`.execute(db());
  return rows.map((row) => row.id);
}

async function totals(task: string) {
  const { rows } = await sql<{ status: string; bucket: number; executions: number }>`
    select status, bucket, executions::int from execution_totals where task_name = ${task}
    order by status, bucket`.execute(db());
  return rows;
}

async function minuteSum(task: string) {
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum(executions), 0)::int as n from execution_minutes
    where task_name = ${task}`.execute(db());
  return rows[0]?.n ?? 0;
}

describe("execution rollups", () => {
  it("knows the same histogram bounds in SQL as in TypeScript", async () => {
    const { rows } = await sql<{ bounds: number[] }>`
      select execution_run_bucket_bounds() as bounds`.execute(db());
    expect(rows[0]?.bounds).toEqual([...RUN_SECONDS_BUCKETS]);
    const { rows: buckets } = await sql<{ b: number[] }>`
      select array[execution_run_bucket(0), execution_run_bucket(0.05), execution_run_bucket(0.06),
                   execution_run_bucket(1800), execution_run_bucket(1800.5),
                   execution_run_bucket(null)]::int[] as b`.execute(db());
    expect(buckets[0]?.b).toEqual([0, 0, 1, 13, 14, -1]);
  });

  it("counts a status change only from live to terminal, once per execution", async () => {
    const ids = await insertExecutions("rollup_moves", "running", 4, {
      runSecondsAgo: 10,
      startedSecondsAgo: 2,
    });
    await sql`update executions set progress = 50 where id = any(${ids})`.execute(db());
    expect(await totals("rollup_moves")).toEqual([]);
    await sql`update executions set status = 'succeeded', finished_at = now()
              where id = any(${ids.slice(0, 3)})`.execute(db());
    // Already ended: a second write of the ending changes nothing.
    await sql`update executions set status = 'succeeded', updated_at = now()
              where id = any(${ids.slice(0, 3)})`.execute(db());
    await sql`update executions set status = 'dead', finished_at = now()
              where id = ${ids[3]}`.execute(db());
    // 2 s runs fall in the 2.5 s bucket (index 5).
    expect(await totals("rollup_moves")).toEqual([
      { status: "dead", bucket: 5, executions: 1 },
      { status: "succeeded", bucket: 5, executions: 3 },
    ]);
    const { rows } = await sql<{ run: number; wait: number }>`
      select sum(run_seconds_sum)::float8 as run, sum(wait_seconds_sum)::float8 as wait
      from execution_minutes where task_name = 'rollup_moves'`.execute(db());
    expect(rows[0]?.run).toBeCloseTo(8, 0);
    expect(rows[0]?.wait).toBeCloseTo(32, 0);
    // A retried execution that ends again counts again: it ended twice.
    await sql`update executions set status = 'queued', finished_at = null where id = ${ids[3]}`.execute(
      db(),
    );
    await sql`update executions set status = 'expired', finished_at = now()
              where id = ${ids[3]}`.execute(db());
    expect(await minuteSum("rollup_moves")).toBe(5);
  });

  it("counts executions inserted already ended", async () => {
    await insertExecutions("rollup_imported", "succeeded", 3, {
      startedSecondsAgo: 40,
      finishedSecondsAgo: 0,
    });
    await insertExecutions("rollup_imported", "cancelled", 2, { finishedSecondsAgo: 0 });
    await insertExecutions("rollup_imported", "queued", 2);
    expect(await totals("rollup_imported")).toEqual([
      { status: "cancelled", bucket: -1, executions: 2 },
      { status: "succeeded", bucket: 9, executions: 3 },
    ]);
  });

  it("counts every success once when two workers flush at the same time", async () => {
    const tasks = ["rollup_a", "rollup_b", "rollup_c"];
    const perTask = 300;
    const ids: { id: number; task: string }[] = [];
    for (const task of tasks) {
      for (const id of await insertExecutions(task, "running", perTask, {
        startedSecondsAgo: 0.2,
      })) {
        ids.push({ id, task });
      }
    }
    const pools = [createTestPool(2), createTestPool(2)];
    const writers = pools.map(
      (pool, n) =>
        new LedgerWriter({
          db: createDb(pool),
          workerId: `rollup-writer-${n}`,
          logger: silentLogger,
          clock: systemClock,
          maxBatch: 10_000,
          flushIntervalMs: 60_000,
        }),
    );
    // Interleaved and in opposite task orders, so both flushes touch the same rollup rows.
    ids.forEach(({ id, task }, index) => {
      const writer = writers[index % 2] as LedgerWriter;
      writer.succeeded({
        execution: { id, publicId: `p-${id}`, task, lane: "reports" },
        attempt: 1,
        startedAt: new Date(Date.now() - 200),
        firstTry: true,
      });
    });
    await Promise.all(writers.map((writer) => writer.flush()));
    for (const task of tasks) {
      expect(await minuteSum(task), task).toBe(perTask);
      const { rows } = await sql<{ n: number }>`
        select sum(executions)::int as n from execution_totals
        where task_name = ${task} and status = 'succeeded'`.execute(db());
      expect(rows[0]?.n, task).toBe(perTask);
    }
  });

  it("counts a flushed ending and a cancel of a queued execution once each", async () => {
    const [running, queued] = [
      ...(await insertExecutions("rollup_once", "running", 1, { startedSecondsAgo: 2 })),
      ...(await insertExecutions("rollup_once", "queued", 1)),
    ];
    // One connection: the flush's marker must not outlive its own transaction.
    const handle = createDb(createTestPool(1));
    const writer = new LedgerWriter({
      db: handle,
      workerId: "rollup-once",
      logger: silentLogger,
      clock: systemClock,
    });
    writer.succeeded({
      execution: {
        id: Number(running),
        publicId: `p-${running}`,
        task: "rollup_once",
        lane: "reports",
      },
      attempt: 1,
      startedAt: new Date(Date.now() - 200),
      firstTry: true,
    });
    await writer.flush();
    const { rows } = await sql<{ public_id: string }>`
      select public_id from executions where id = ${queued}`.execute(handle);
    const outcome = await handle
      .transaction()
      .execute((trx) => cancelExecution(trx, rows[0]?.public_id ?? ""));
    expect(outcome).toBe("cancelled");
    expect(await totals("rollup_once")).toEqual([
      { status: "cancelled", bucket: -1, executions: 1 },
      { status: "succeeded", bucket: 5, executions: 1 },
    ]);
    expect(await minuteSum("rollup_once")).toBe(2);
  });

  it("leaves an ending committed while the flush waits to the statement that made it", async () => {
    const [id] = await insertExecutions("rollup_race", "running", 1, { startedSecondsAgo: 2 });
    const writer = new LedgerWriter({
      db: db(),
      workerId: "rollup-race",
      logger: silentLogger,
      clock: systemClock,
    });
    const pool = createTestPool(1);
    const other = await pool.connect();
    try {
      await other.query("begin");
      await other.query(
        "update executions set status = 'dead', finished_at = now() where id = $1",
        [id],
      );
      writer.succeeded({
        execution: { id: Number(id), publicId: `p-${id}`, task: "rollup_race", lane: "reports" },
        attempt: 1,
        startedAt: new Date(Date.now() - 1000),
        firstTry: true,
      });
      const flushed = writer.flush();
      // The flush now waits for the row lock.
      await waitFor(async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(db());
        return (rows[0]?.n ?? 0) > 0 || undefined;
      });
      await other.query("commit");
      await flushed;
    } finally {
      other.release();
    }
    expect(await totals("rollup_race")).toEqual([{ status: "dead", bucket: 5, executions: 1 }]);
    const { rows } = await sql<{ status: string }>`
      select status from executions where id = ${id}`.execute(db());
    expect(rows[0]?.status).toBe("dead");
  });

  it("feeds the health windows from the minutes", async () => {
    const before = await checkHealth(db());
    await insertExecutions("rollup_health", "dead", 2, {
      startedSecondsAgo: 1,
      finishedSecondsAgo: 0,
    });
    await insertExecutions("rollup_health", "succeeded", 1, {
      startedSecondsAgo: 1,
      finishedSecondsAgo: 0,
    });
    // Ended three hours ago: in the 24 h window, not in the hour.
    await insertExecutions("rollup_health", "dead", 1, {
      startedSecondsAgo: 3 * 3600 + 1,
      finishedSecondsAgo: 3 * 3600,
    });
    const after = await checkHealth(db());
    expect((after.last_hour?.failed ?? 0) - (before.last_hour?.failed ?? 0)).toBe(2);
    expect((after.last_hour?.succeeded ?? 0) - (before.last_hour?.succeeded ?? 0)).toBe(1);
    expect((after.dead_last_24h ?? 0) - (before.dead_last_24h ?? 0)).toBe(3);
    // The windows do not read the ledger: deleting the executions leaves them as they were.
    await sql`delete from executions where task_name = 'rollup_health'`.execute(db());
    expect((await checkHealth(db())).dead_last_24h).toBe(after.dead_last_24h);
  });

  it("gives trends per task and day with success rates and estimated p50/p95", async () => {
    await insertExecutions("rollup_trend", "succeeded", 9, {
      startedSecondsAgo: 3,
      finishedSecondsAgo: 0,
    });
    await insertExecutions("rollup_trend", "dead", 1, {
      startedSecondsAgo: 100,
      finishedSecondsAgo: 0,
    });
    await insertExecutions("rollup_trend", "succeeded", 4, {
      startedSecondsAgo: 2 * 86400 + 1,
      finishedSecondsAgo: 2 * 86400,
    });
    const days = await taskTrends(db(), { task: "rollup_trend", days: 3 });
    expect(days.map((day) => day.executions)).toEqual([4, 0, 10]);
    const today = days.at(-1);
    expect(today?.success_rate).toBeCloseTo(0.9, 5);
    // Nine 3 s runs in (2.5, 5]: the median interpolates to 2.5 + 2.5 × 5/9.
    expect(today?.p50_seconds).toBeCloseTo(2.5 + 2.5 * (5 / 9), 5);
    // The 95th percentile falls on the 100 s run, in (60, 120].
    expect(today?.p95_seconds).toBeGreaterThan(60);
    expect(today?.p95_seconds).toBeLessThanOrEqual(120);
    expect(days[1]?.success_rate).toBeNull();
    expect(days[1]?.p50_seconds).toBeNull();
    await expect(taskTrends(db(), { days: 0 })).rejects.toThrow(/days/);
  });

  it("estimates quantiles like histogram_quantile", () => {
    expect(quantileFromBuckets([0, 0, 0], [1, 2], 0.5)).toBeNull();
    expect(quantileFromBuckets([4, 0, 0], [1, 2], 0.5)).toBe(0.5);
    expect(quantileFromBuckets([0, 4, 0], [1, 2], 0.5)).toBe(1.5);
    expect(quantileFromBuckets([0, 0, 4], [1, 2], 0.99)).toBe(2);
  });

  it("deletes old minutes in batches and keeps the totals", async () => {
    await insertExecutions("rollup_old", "succeeded", 3, {
      startedSecondsAgo: 100 * 86400 + 1,
      finishedSecondsAgo: 100 * 86400,
    });
    await insertExecutions("rollup_old", "succeeded", 2, {
      startedSecondsAgo: 1,
      finishedSecondsAgo: 0,
    });
    await sql`insert into execution_minutes
              select minute - interval '1 minute' * g, lane, 'rollup_old', status, bucket,
                     1, 0, 0
              from execution_minutes, generate_series(1, 5) g
              where task_name = 'rollup_old' and minute < now() - interval '99 days'`.execute(db());
    expect(await minuteSum("rollup_old")).toBe(10);
    expect(await deleteOldExecutionMinutes(db(), { batchSize: 2 })).toBeGreaterThanOrEqual(6);
    expect(await minuteSum("rollup_old")).toBe(2);
    const { rows } = await sql<{ n: number }>`
      select sum(executions)::int as n from execution_totals where task_name = 'rollup_old'`.execute(
      db(),
    );
    expect(rows[0]?.n).toBe(5);
    await expect(deleteOldExecutionMinutes(db(), { days: 0 })).rejects.toThrow(/days/);
  });
});
