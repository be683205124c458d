import { describe, expect, it } from "vitest";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { recoverLostWorkers } from "../../../src/engine/fleet/crashRecovery.ts";
import { exitOf, startChildWorker } from "../../support/childWorker.ts";
import { db, execution, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";
import { hangsPastHardLimit, holdThenFinish } from "../../support/fixtures/processTasks.ts";

describe("a worker declared dead", () => {
  it("abandons what it held when it resumes, writes nothing over the re-run, and recycles", async () => {
    const { child, workerId } = await startChildWorker();
    const id = await enqueue(db(), holdThenFinish, {});
    await waitForStatus(id, "running");
    child.kill("SIGSTOP");
    // Paused past its silent threshold (2 s), it is declared dead and its job runs elsewhere.
    await waitFor(
      async () =>
        (await recoverLostWorkers(db(), { silentAfterMs: 2_000 })).find((w) => w.id === workerId),
      10_000,
    );
    const rerun = await startTestWorker([holdThenFinish]);
    const done = await waitForStatus(id, "succeeded");

    child.kill("SIGCONT");
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    const after = await execution(id);
    expect(after).toMatchObject({
      status: "succeeded",
      attempts: 2,
      worker_id: rerun.id,
      result: { pid: process.pid, attempt: 2 },
    });
    expect(after.updated_at).toEqual(done.updated_at);
    const history = await db()
      .selectFrom("execution_attempts")
      .select(["attempt", "outcome", "worker_id"])
      .where("execution_id", "=", after.id)
      .orderBy("attempt")
      .execute();
    expect(history).toEqual([
      { attempt: 1, outcome: "abandoned", worker_id: workerId },
      { attempt: 2, outcome: "succeeded", worker_id: rerun.id },
    ]);
    const row = await db()
      .selectFrom("workers")
      .select(["stop_reason", "running_jobs"])
      .where("id", "=", workerId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ stop_reason: "silent", running_jobs: 0 });
  }, 45_000);
});

describe("a task past its hard time limit that does not stop", () => {
  it("recycles its worker, and its retry starts only once that process is gone", async () => {
    // The drain's grace (30 s) is for jobs that may still finish; nothing else runs here, so the
    // worker lets the overrunning job go and exits at once.
    const { child, workerId } = await startChildWorker();
    const enqueuedAt = Date.now();
    const id = await enqueue(db(), hangsPastHardLimit, {});
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
    const exitedAt = Date.now();
    expect(exitedAt - enqueuedAt).toBeLessThan(15_000);
    await startTestWorker([hangsPastHardLimit]);
    const done = await waitForStatus(id, "succeeded", 20_000);
    expect(done.result).toMatchObject({ pid: process.pid, attempt: 2 });
    expect((done.result as { startedAt: number }).startedAt).toBeGreaterThan(exitedAt);
    const history = await db()
      .selectFrom("execution_attempts")
      .select(["attempt", "outcome", "error_class", "worker_id"])
      .where("execution_id", "=", done.id)
      .orderBy("attempt")
      .execute();
    expect(history[0]).toEqual({
      attempt: 1,
      outcome: "timed_out",
      error_class: "TimeLimitError",
      worker_id: workerId,
    });
    expect(history.map((a) => a.attempt)).toEqual([1, 2]);
  }, 45_000);
});
