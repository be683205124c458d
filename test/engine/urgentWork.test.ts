import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { setLanePaused } from "../../src/engine/control/laneState.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { registerWorker } from "../../src/engine/fleet/heartbeat.ts";
import { defaultLanes, type LaneName, laneNames } from "../../src/engine/lanes.ts";
import { defineTask } from "../../src/engine/task.ts";
import { nextUrgentJob, yieldToUrgentWork } from "../../src/engine/urgentWork.ts";
import { db, emptyQueue, execution } from "../support/engine.ts";

const taskOn = (lane: LaneName) =>
  defineTask({ name: `urgent_${lane}`, lane, payload: z.object({}), run: async () => {} });

const exportsPriority = defaultLanes.exports.priority;

/** A live worker serving `lanes`, as a worker process registers itself. */
const liveWorker = (lanes: readonly LaneName[]) =>
  registerWorker(db(), `urgent-test-${lanes.join("-")}-${Date.now()}`, {
    type: "all",
    lanes,
    tasks: [],
    lockKey: 0,
  });
const takeAllJobs = () =>
  sql`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test'
      where locked_at is null`.execute(db());
/** As graphile-worker does when a job succeeds. */
const finishAllJobs = () => sql`delete from graphile_worker._private_jobs`.execute(db());
const jobsHeld = async () =>
  (
    await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs
                             where locked_at is not null`.execute(db())
  ).rows[0]?.n;

describe("nextUrgentJob", () => {
  beforeEach(async () => {
    await emptyQueue();
    await db().deleteFrom("lane_states").execute();
    await liveWorker(laneNames);
  });

  it("finds the due job of a more urgent lane a worker would take first, until one takes it", async () => {
    expect(await nextUrgentJob(db(), exportsPriority)).toBeNull();
    await enqueue(db(), taskOn("realtime"), {});
    const webhook = await execution(await enqueue(db(), taskOn("webhooks"), {}));
    expect(await nextUrgentJob(db(), exportsPriority)).toBe(String(webhook.job_id));
    await takeAllJobs();
    expect(await nextUrgentJob(db(), exportsPriority)).toBeNull();
  });

  it("does not count jobs of the same or a less urgent lane, or jobs due later", async () => {
    await enqueue(db(), taskOn("exports"), {});
    await enqueue(db(), taskOn("maintenance"), {});
    await enqueue(db(), taskOn("webhooks"), {}, { runAt: new Date(Date.now() + 3_600_000) });
    expect(await nextUrgentJob(db(), exportsPriority)).toBeNull();
    expect(await nextUrgentJob(db(), defaultLanes.maintenance.priority)).not.toBeNull();
  });

  it("does not count the jobs of a lane that no live worker serves", async () => {
    await emptyQueue();
    await liveWorker(["webhooks", "reports", "exports"]);
    await enqueue(db(), taskOn("realtime"), {});
    expect(await nextUrgentJob(db(), exportsPriority)).toBeNull();
    await liveWorker(["realtime"]);
    expect(await nextUrgentJob(db(), exportsPriority)).not.toBeNull();
  });

  it("does not count the jobs of a paused lane, which wait on purpose", async () => {
    await enqueue(db(), taskOn("notifications"), {});
    await setLanePaused(db(), "notifications", true, "test");
    expect(await nextUrgentJob(db(), exportsPriority)).toBeNull();
    await setLanePaused(db(), "notifications", false, "test");
    expect(await nextUrgentJob(db(), exportsPriority)).not.toBeNull();
  });
});

describe("yieldToUrgentWork", () => {
  beforeEach(async () => {
    await emptyQueue();
    await db().deleteFrom("lane_states").execute();
    await liveWorker(laneNames);
  });

  it("does not wait when nothing more urgent is due", async () => {
    let told = false;
    const waited = await yieldToUrgentWork(db(), {
      priority: exportsPriority,
      maxMs: 5_000,
      onWaiting: () => {
        told = true;
      },
    });
    expect(waited).toBeLessThan(1_000);
    expect(told).toBe(false);
  });

  it("waits until the urgent jobs are taken and have finished, and says so once", async () => {
    await enqueue(db(), taskOn("realtime"), {});
    let told = 0;
    let finishedAt = 0;
    const working = (async () => {
      await sleep(300);
      await takeAllJobs();
      await sleep(300);
      await finishAllJobs();
      finishedAt = performance.now();
    })();
    const started = performance.now();
    await yieldToUrgentWork(db(), {
      priority: exportsPriority,
      maxMs: 20_000,
      pollMs: 20,
      onWaiting: () => told++,
    });
    const ended = performance.now();
    await working;
    expect(told).toBe(1);
    expect(ended).toBeGreaterThanOrEqual(finishedAt);
    expect(ended - started).toBeLessThan(20_000);
  });

  it("does not wait for jobs taken after the backlog it waited for", async () => {
    const first = (await execution(await enqueue(db(), taskOn("realtime"), {}))).job_id;
    let firstFinishedAt = 0;
    const working = (async () => {
      await sleep(200);
      await takeAllJobs();
      await sleep(100);
      await enqueue(db(), taskOn("realtime"), {});
      await takeAllJobs();
      await sleep(200);
      await sql`delete from graphile_worker._private_jobs where id = ${first}`.execute(db());
      firstFinishedAt = performance.now();
    })();
    await yieldToUrgentWork(db(), { priority: exportsPriority, maxMs: 20_000, pollMs: 20 });
    const ended = performance.now();
    await working;
    expect(ended).toBeGreaterThanOrEqual(firstFinishedAt);
    expect(ended - firstFinishedAt).toBeLessThan(5_000);
    expect(await jobsHeld()).toBe(1);
  });

  it("waits at most maxMs for a taken job that runs long", async () => {
    await enqueue(db(), taskOn("realtime"), {});
    setTimeout(takeAllJobs, 100);
    const waited = await yieldToUrgentWork(db(), {
      priority: exportsPriority,
      maxMs: 400,
      pollMs: 20,
    });
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(5_000);
    expect(await jobsHeld()).toBe(1);
  });

  it("does not wait for jobs workers hold when no backlog was waiting", async () => {
    await enqueue(db(), taskOn("realtime"), {});
    await takeAllJobs();
    const waited = await yieldToUrgentWork(db(), { priority: exportsPriority, maxMs: 20_000 });
    expect(waited).toBeLessThan(1_000);
  });

  it("keeps waiting, past maxMs, while workers keep taking the urgent jobs", async () => {
    const jobs = [];
    for (let index = 0; index < 8; index++) {
      jobs.push((await execution(await enqueue(db(), taskOn("realtime"), {}))).job_id);
    }
    let lastTakenAt = 0;
    const taking = (async () => {
      for (const id of jobs) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await sql`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test'
                  where id = ${id}`.execute(db());
        lastTakenAt = performance.now();
      }
    })();
    const waited = await yieldToUrgentWork(db(), {
      priority: exportsPriority,
      maxMs: 500,
      pollMs: 20,
    });
    const ended = performance.now();
    await taking;
    expect(ended).toBeGreaterThanOrEqual(lastTakenAt);
    expect(waited).toBeGreaterThan(500);
  });

  it("waits at most maxMs for a backlog nobody takes", async () => {
    await enqueue(db(), taskOn("webhooks"), {});
    const waited = await yieldToUrgentWork(db(), {
      priority: exportsPriority,
      maxMs: 300,
      pollMs: 20,
    });
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(await nextUrgentJob(db(), exportsPriority)).not.toBeNull();
  });

  it("stops waiting when its signal aborts", async () => {
    await enqueue(db(), taskOn("webhooks"), {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled")), 100);
    await expect(
      yieldToUrgentWork(db(), {
        priority: exportsPriority,
        maxMs: 20_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow("cancelled");
  });
});
