import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { PermanentError } from "../../../src/engine/errors.ts";
import { reconcileVanishedJobs } from "../../../src/engine/ledger/reconcile.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { startChildWorker } from "../../support/childWorker.ts";
import {
  db,
  execution,
  jobCount,
  startTestWorker,
  waitFor,
  waitForStatus,
} from "../../support/engine.ts";
import { quickEcho } from "../../support/fixtures/processTasks.ts";

const jobIdOf = async (publicId: string) => Number((await execution(publicId)).job_id);

const deleteJob = (jobId: number) =>
  sql`delete from graphile_worker._private_jobs where id = ${jobId}`.execute(db());

describe("ledger reconciliation", () => {
  it("ends as succeeded the jobs a killed worker completed but never wrote to the ledger", async () => {
    // Successes are only flushed after 10 minutes here: the kill always lands before.
    const { child } = await startChildWorker({ ledgerFlushMs: 600_000 });
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 20 }, (_, n) => ({ task: quickEcho, payload: { n } })),
    );
    await waitFor(async () => (await jobCount()) === 0);
    const before = await Promise.all(ids.map((id) => execution(id)));
    expect(new Set(before.map((row) => row.status))).toEqual(new Set(["queued"]));
    child.kill("SIGKILL");

    await startTestWorker([quickEcho], { heartbeatIntervalMs: 200, silentAfterMs: 2_000 });
    const after = await Promise.all(ids.map((id) => waitForStatus(id, "succeeded")));
    for (const row of after) {
      expect(row.finished_at).not.toBeNull();
      expect(row.job_id).toBeNull();
    }
  }, 30_000);

  it("leaves executions whose job is still there, and ended ones, as they are", async () => {
    const waiting = await enqueue(db(), quickEcho, { n: 1 });
    const vanished = await enqueue(db(), quickEcho, { n: 2 });
    const dead = await enqueue(db(), quickEcho, { n: 3 });
    await deleteJob(await jobIdOf(vanished));
    await deleteJob(await jobIdOf(dead));
    await db()
      .updateTable("executions")
      .set({ status: "dead" })
      .where("public_id", "=", dead)
      .execute();

    const sweeps = await Promise.all([reconcileVanishedJobs(db()), reconcileVanishedJobs(db())]);
    expect(sweeps.reduce((sum, n) => sum + n, 0)).toBe(1);
    expect((await execution(waiting)).status).toBe("queued");
    expect((await execution(vanished)).status).toBe("succeeded");
    expect((await execution(dead)).status).toBe("dead");
  });

  it("skips an execution a ledger flush holds instead of waiting for it (no deadlock)", async () => {
    const held = await enqueue(db(), quickEcho, { n: 4 });
    const free = await enqueue(db(), quickEcho, { n: 5 });
    await deleteJob(await jobIdOf(held));
    await deleteJob(await jobIdOf(free));
    let holding = () => {};
    const rowHeld = new Promise<void>((resolve) => {
      holding = resolve;
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A transaction standing in for a flush: it holds the row until released.
    const holder = db()
      .transaction()
      .execute(async (trx) => {
        await sql`select 1 from executions where public_id = ${held} for update`.execute(trx);
        holding();
        await released;
      });
    await rowHeld;
    expect(await reconcileVanishedJobs(db())).toBe(1);
    expect((await execution(free)).status).toBe("succeeded");
    expect((await execution(held)).status).toBe("queued");
    release();
    await holder;
    expect(await reconcileVanishedJobs(db())).toBe(1);
    expect((await execution(held)).status).toBe("succeeded");
  });

  it("keeps the job when a failure's ending cannot be written, and records it once it can", async () => {
    const refuse = defineTask({
      name: "refuse_forever",
      lane: "analytics",
      payload: z.object({}),
      run: async () => {
        throw new PermanentError("no");
      },
    });
    await sql`create function refuse_dead() returns trigger language plpgsql as $$
      begin
        if new.status = 'dead' then raise exception 'ledger unavailable'; end if;
        return new;
      end $$`.execute(db());
    await sql`create trigger refuse_dead before update on executions
      for each row execute function refuse_dead()`.execute(db());
    const id = await enqueue(db(), refuse, {});
    const jobId = await jobIdOf(id);
    await startTestWorker([refuse]);

    const failedJob = await waitFor(async () => {
      const { rows } = await sql<{ last_error: string | null }>`
        select last_error from graphile_worker._private_jobs where id = ${jobId}`.execute(db());
      return rows[0]?.last_error ? rows[0] : undefined;
    });
    expect(failedJob.last_error).toContain("ledger unavailable");
    expect((await execution(id)).status).not.toBe("succeeded");
    expect(await reconcileVanishedJobs(db())).toBe(0);

    await sql`drop trigger refuse_dead on executions`.execute(db());
    // graphile-worker runs the job again after its own backoff (about 3 s for a first failure).
    const row = await waitForStatus(id, "dead", 15_000);
    expect(row.error_message).toBe("no");
    // The ending is written before graphile-worker lets the job go.
    await waitFor(async () => {
      const { rows: left } = await sql`
        select 1 from graphile_worker._private_jobs where id = ${jobId}`.execute(db());
      return left.length === 0;
    });
  }, 30_000);
});
