import { describe, expect, it } from "vitest";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { recoverLostWorkers } from "../../../src/engine/fleet/crashRecovery.ts";
import { startChildWorker } from "../../support/childWorker.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";
import { holdThenFinish } from "../../support/fixtures/processTasks.ts";

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
