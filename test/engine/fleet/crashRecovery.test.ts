import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { enqueue } from "../../../src/engine/enqueue.ts";
import {
  lostJobBackoffBaseMs,
  recoverLostWorkers,
  settleStrandedJobs,
} from "../../../src/engine/fleet/crashRecovery.ts";
import { workerList } from "../../../src/monitoring/fleet.ts";
import { exitOf, startChildWorker } from "../../support/childWorker.ts";
import { db, execution, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";
import { holdThenFinish, killsItsWorker } from "../../support/fixtures/processTasks.ts";

/**
 * Lets a child worker take the poison job, which kills it (as soon as it starts, maybe before
 * it says it is ready), and waits until a sweep recovered it.
 */
async function poisonedWorker() {
  const started = await startChildWorker().catch(() => undefined);
  if (started) expect(await exitOf(started.child)).toEqual({ code: null, signal: "SIGKILL" });
  return waitFor(async () => (await recoverLostWorkers(db(), { silentAfterMs: 30_000 }))[0]);
}

describe("crash recovery", () => {
  it("finishes a SIGKILLed worker's job on another worker within 30 s", async () => {
    const { child, workerId } = await startChildWorker();
    const id = await enqueue(db(), holdThenFinish, {});
    const running = await waitForStatus(id, "running");
    expect(running.worker_id).toBe(workerId);
    const killedAt = Date.now();
    child.kill("SIGKILL");

    await startTestWorker([holdThenFinish], { silentAfterMs: 2_000, heartbeatIntervalMs: 250 });
    const row = await waitForStatus(id, "succeeded", 30_000);
    const recoveredInMs = Date.now() - killedAt;
    expect(recoveredInMs).toBeLessThan(30_000);
    expect(row.result).toEqual({ pid: process.pid, attempt: 2 });
    const history = await db()
      .selectFrom("execution_attempts")
      .select(["attempt", "outcome", "worker_id"])
      .where("execution_id", "=", row.id)
      .orderBy("started_at")
      .execute();
    expect(history.map((a) => a.outcome)).toEqual(["abandoned", "succeeded"]);
    expect(history[0]?.worker_id).toBe(workerId);
    const dead = await db()
      .selectFrom("workers")
      .select("stopped_at")
      .where("id", "=", workerId)
      .executeTakeFirstOrThrow();
    expect(dead.stopped_at).not.toBeNull();
  }, 45_000);

  it("runs a SIGKILLed worker's job again elsewhere within 5 s at default settings", async () => {
    const { child, workerId } = await startChildWorker();
    const id = await enqueue(db(), holdThenFinish, {});
    await waitForStatus(id, "running");
    // An idle worker with the engine's defaults: 5 s heartbeat, 30 s silence, 2 s polls.
    await startTestWorker([holdThenFinish], {
      heartbeatIntervalMs: 5_000,
      preset: { pollInterval: 2_000 },
    });
    const killedAt = Date.now();
    child.kill("SIGKILL");
    const row = await waitForStatus(id, "succeeded", 30_000);
    // Found by its lock, not by its silence (30 s); the fault suite measures the 5 s target.
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(row.result).toEqual({ pid: process.pid, attempt: 2 });
    const worker = await db()
      .selectFrom("workers")
      .select(["stopped_at", "stop_reason"])
      .where("id", "=", workerId)
      .executeTakeFirstOrThrow();
    expect(worker.stop_reason).toBe("process_gone");
  }, 45_000);

  it("ends a job that kills its worker on every attempt dead, with WorkerLost, backing off between", async () => {
    const id = await enqueue(db(), killsItsWorker, {});
    const jobOf = async () => {
      const { rows } = await sql<{ due_in_ms: number; attempts: number }>`
        select (extract(epoch from (j.run_at - now())) * 1000)::float8 as due_in_ms, j.attempts
        from graphile_worker._private_jobs j join executions e on e.job_id = j.id
        where e.public_id = ${id}`.execute(db());
      return rows[0];
    };

    expect(await poisonedWorker()).toMatchObject({ reason: "process_gone", requeued: 1 });
    // The first loss runs it again at once; the second waits.
    expect((await jobOf())?.due_in_ms).toBeLessThanOrEqual(0);
    await poisonedWorker();
    const waiting = await execution(id);
    expect(waiting.status).toBe("retrying");
    expect(waiting.error_class).toBe("WorkerLost");
    expect((await jobOf())?.due_in_ms).toBeGreaterThan(lostJobBackoffBaseMs / 2);

    await sql`update graphile_worker._private_jobs set run_at = now()`.execute(db());
    expect(await poisonedWorker()).toMatchObject({ requeued: 0, dead: 1 });
    const dead = await execution(id);
    expect(dead).toMatchObject({ status: "dead", error_class: "WorkerLost", job_id: null });
    expect(dead.finished_at).not.toBeNull();
    expect(await jobOf()).toBeUndefined();
    const history = await db()
      .selectFrom("execution_attempts")
      .select(["attempt", "outcome", "error_class"])
      .where("execution_id", "=", dead.id)
      .orderBy("attempt")
      .execute();
    expect(history).toEqual(
      [1, 2, 3].map((attempt) => ({ attempt, outcome: "abandoned", error_class: "WorkerLost" })),
    );
    // The fleet view shows which execution the lost workers were running.
    const killedBy = (await workerList(db(), 30_000)).filter((w) => w.lost_executions.includes(id));
    expect(killedBy.map((w) => w.stop_reason)).toEqual([
      "process_gone",
      "process_gone",
      "process_gone",
    ]);
  }, 60_000);

  it("does not take a live worker for dead when one of its connections is cut", async () => {
    const worker = await startTestWorker([holdThenFinish]);
    const id = await enqueue(db(), holdThenFinish, {});
    await waitForStatus(id, "running");
    // Cut one of the connections that hold its lock, as an idle timeout or a proxy would.
    const cut = await sql<{ pid: number }>`
      select pid from pg_stat_activity
      where datname = current_database() and query like '%lock_server_started_at%'
        and pid <> pg_backend_pid()
      order by pid limit 1`.execute(db());
    expect(cut.rows.length).toBeGreaterThan(0);
    const pids = cut.rows.map((row) => row.pid);
    await sql`select pg_terminate_backend(pid) from unnest(${pids}::int[]) as pid`.execute(db());
    // Sweep as soon as those sessions are gone, before the worker connects again.
    await waitFor(async () => {
      const { rows } = await sql<{ left: number }>`
        select count(*)::int as left from pg_stat_activity where pid = any(${pids}::int[])`.execute(
        db(),
      );
      return rows[0]?.left === 0;
    });
    for (let sweep = 0; sweep < 5; sweep++) {
      expect(await recoverLostWorkers(db(), { silentAfterMs: 30_000 })).toEqual([]);
    }
    const row = await execution(id);
    expect(row).toMatchObject({ status: "running", worker_id: worker.id });
  });

  it("settles jobs a worker took after it was declared dead, once its process is gone", async () => {
    const id = await enqueue(db(), holdThenFinish, {});
    await db()
      .insertInto("workers")
      .values({
        id: "declared-dead",
        type: "all",
        lanes: [],
        host: "h",
        pid: 1,
        graphile_worker_ids: ["pool-of-declared-dead"],
        lock_key: 424242,
        stop_reason: "silent",
        stopped_at: new Date(),
      })
      .execute();
    await sql`update workers set lock_server_started_at = pg_postmaster_start_time()
              where id = 'declared-dead'`.execute(db());
    await sql`update graphile_worker._private_jobs set locked_by = 'pool-of-declared-dead',
                locked_at = now(), attempts = 1
              where id = (select job_id from executions where public_id = ${id})`.execute(db());

    expect(await settleStrandedJobs(db())).toBe(1);
    const { rows } = await sql<{ locked_by: string | null }>`
      select locked_by from graphile_worker._private_jobs
      where id = (select job_id from executions where public_id = ${id})`.execute(db());
    expect(rows).toEqual([{ locked_by: null }]);
    expect(await execution(id)).toMatchObject({ status: "retrying", error_class: "WorkerLost" });
  });

  it("does not count as silence the time a worker just back from an outage was cut off", async () => {
    const silentSince = new Date(Date.now() - 60_000);
    await db()
      .insertInto("workers")
      .values([
        { id: "quiet", type: "all", lanes: [], host: "h", pid: 1, last_seen_at: silentSince },
        {
          id: "back",
          type: "all",
          lanes: [],
          host: "h",
          pid: 2,
          last_seen_at: new Date(),
          reconnected_at: new Date(),
        },
      ])
      .execute();
    expect(await recoverLostWorkers(db(), { silentAfterMs: 30_000 })).toEqual([]);
    await db().updateTable("workers").set({ reconnected_at: silentSince }).execute();
    const recovered = await recoverLostWorkers(db(), { silentAfterMs: 30_000 });
    expect(recovered.map((w) => w.id)).toEqual(["quiet"]);
    await db().deleteFrom("workers").where("id", "in", ["quiet", "back"]).execute();
  });

  it("frees a silent worker once when several sweepers run at the same time", async () => {
    await db()
      .insertInto("workers")
      .values({
        id: "ghost",
        type: "all",
        lanes: [],
        host: "h",
        pid: 1,
        last_seen_at: new Date(Date.now() - 60_000),
      })
      .execute();
    const sweeps = await Promise.all(
      Array.from({ length: 5 }, () => recoverLostWorkers(db(), { silentAfterMs: 30_000 })),
    );
    expect(sweeps.flat().map((w) => w.id)).toEqual(["ghost"]);
    await waitFor(async () => true);
  });
});
