import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { enqueue } from "../../../src/engine/enqueue.ts";
import {
  lostJobBackoffBaseMs,
  recoverLostWorkers,
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
