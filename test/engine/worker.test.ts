import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { WorkerEvents } from "graphile-worker";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cancelExecution } from "../../src/engine/control/cancel.ts";
import { setLanePaused } from "../../src/engine/control/laneState.ts";
import { retryExecution } from "../../src/engine/control/retry.ts";
import { enqueue, enqueueMany } from "../../src/engine/enqueue.ts";
import { PermanentError, SnoozeError } from "../../src/engine/errors.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { defineTask } from "../../src/engine/task.ts";
import debugTask from "../../tasks/debug_task.ts";
import {
  db,
  execution,
  jobCount,
  startTestWorker,
  waitFor,
  waitForStatus,
} from "../support/engine.ts";
import { waitsForCancel } from "../support/fixtures/processTasks.ts";

const attemptsOf = (executionId: number) =>
  db()
    .selectFrom("execution_attempts")
    .select(["attempt", "outcome", "error_class"])
    .where("execution_id", "=", executionId)
    .orderBy("attempt")
    .orderBy("started_at")
    .execute();

const add = defineTask({
  name: "add_numbers",
  lane: "analytics",
  payload: z.object({ a: z.number(), b: z.number() }),
  run: async ({ a, b }, ctx) => {
    ctx.progress(50, "halfway");
    return { sum: a + b, attempt: ctx.attempt, executionId: ctx.executionId };
  },
});

const flaky = defineTask({
  name: "flaky_call",
  lane: "realtime",
  payload: z.object({ failTimes: z.number() }),
  maxAttempts: 3,
  retry: { kind: "fixed", delayMs: 10 },
  run: async ({ failTimes }, ctx) => {
    if (ctx.attempt <= failTimes) throw new Error(`failure ${ctx.attempt}`);
    return "ok";
  },
});

const permanent = defineTask({
  name: "permanent_failure",
  lane: "realtime",
  payload: z.object({}),
  maxAttempts: 5,
  run: async () => {
    throw new PermanentError("the number does not exist");
  },
});

const snoozer = defineTask({
  name: "snooze_once",
  lane: "realtime",
  payload: z.object({}),
  maxAttempts: 1,
  run: async (_payload, ctx) => {
    const previous = await ctx.db
      .selectFrom("execution_attempts")
      .select("outcome")
      .innerJoin("executions", "executions.id", "execution_attempts.execution_id")
      .where("executions.public_id", "=", ctx.executionId)
      .execute();
    if (previous.length === 0) throw new SnoozeError(50);
    return { attempt: ctx.attempt };
  },
});

const slow = defineTask({
  name: "slow_cleanup",
  lane: "maintenance",
  payload: z.object({ ms: z.number() }),
  maxAttempts: 2,
  retry: { kind: "fixed", delayMs: 10 },
  softTimeLimitMs: 100,
  hardTimeLimitMs: 400,
  run: async ({ ms }, ctx) => {
    const reason = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("finished"), ms);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(`aborted: ${(ctx.signal.reason as Error).message}`);
      });
    });
    return reason;
  },
});

const stubborn = defineTask({
  name: "ignores_signal",
  lane: "maintenance",
  payload: z.object({}),
  maxAttempts: 2,
  retry: { kind: "fixed", delayMs: 10 },
  softTimeLimitMs: 50,
  hardTimeLimitMs: 150,
  run: () => sleep(1_000).then(() => "too late"),
});

const all = [add, flaky, permanent, snoozer, slow, stubborn, waitsForCancel, debugTask];

/** Retries an ended execution as an operator would, in a transaction of its own. */
const operatorRetry = (registry: TaskRegistry, publicId: string) =>
  db()
    .transaction()
    .execute((trx) => retryExecution(trx, registry, publicId));

describe("worker", () => {
  it("runs a job and records result, progress, timings and the attempt", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), add, { a: 2, b: 3 });
    const row = await waitForStatus(id, "succeeded");
    expect(row.result).toEqual({ sum: 5, attempt: 1, executionId: id });
    expect(row).toMatchObject({ attempts: 1, progress: 100, job_id: null });
    expect(row.started_at?.getTime()).toBeLessThanOrEqual(row.finished_at?.getTime() ?? 0);
    expect(row.worker_id).toBeTruthy();
    // A first-try success is described by the execution row alone.
    expect(await attemptsOf(row.id)).toEqual([]);
    await waitFor(async () => (await jobCount()) === 0);
  });

  it("reports graphile-worker's events of its runners to an emitter it is given", async () => {
    const events: WorkerEvents = new EventEmitter();
    const fetched: number[] = [];
    events.on("localQueue:getJobs:complete", ({ jobs }) => fetched.push(jobs.length));
    const started: string[] = [];
    events.on("job:start", ({ job }) => started.push(job.task_identifier));
    await startTestWorker([add], { events, preset: { localQueue: { size: 10 } } });
    const id = await enqueue(db(), add, { a: 1, b: 1 });
    await waitForStatus(id, "succeeded");
    expect(started).toEqual(["add_numbers"]);
    expect(fetched.some((count) => count > 0)).toBe(true);
  });

  it("retries by the task's strategy and succeeds on a later attempt", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), flaky, { failTimes: 2 });
    const row = await waitForStatus(id, "succeeded");
    expect(row.attempts).toBe(3);
    expect((await attemptsOf(row.id)).map((a) => a.outcome)).toEqual([
      "failed",
      "failed",
      "succeeded",
    ]);
  });

  it("ends dead after the last attempt, with the last error", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), flaky, { failTimes: 10 });
    const row = await waitForStatus(id, "dead");
    expect(row).toMatchObject({
      attempts: 3,
      error_class: "Error",
      error_message: "failure 3",
      job_id: null,
    });
    expect(row.error_stack).toContain("failure 3");
    expect(await attemptsOf(row.id)).toHaveLength(3);
  });

  it("fails a PermanentError at once, without retries", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), permanent, {});
    const row = await waitForStatus(id, "dead");
    expect(row).toMatchObject({ attempts: 1, error_class: "PermanentError" });
  });

  it("runs a snoozed job again without spending an attempt", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), snoozer, {});
    const row = await waitForStatus(id, "succeeded");
    expect(row.result).toEqual({ attempt: 1 });
    expect((await attemptsOf(row.id)).map((a) => a.outcome)).toEqual(["snoozed", "succeeded"]);
  });

  it("aborts the signal at the soft time limit so the task can clean up", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), slow, { ms: 5_000 });
    const row = await waitForStatus(id, "succeeded");
    expect(row.result).toBe("aborted: soft_time_limit");
  });

  it("fails the attempt at the hard time limit and retries, the process staying healthy", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), stubborn, {});
    const row = await waitForStatus(id, "dead");
    expect(row.error_class).toBe("TimeLimitError");
    expect((await attemptsOf(row.id)).map((a) => a.outcome)).toEqual(["timed_out", "timed_out"]);
    const after = await enqueue(db(), add, { a: 1, b: 1 });
    expect((await waitForStatus(after, "succeeded")).result).toMatchObject({ sum: 2 });
  });

  it("does not run a job past its expiry", async () => {
    const id = await enqueue(db(), add, { a: 1, b: 2 }, { expiresAt: new Date(Date.now() + 100) });
    await sleep(200);
    await startTestWorker(all);
    const row = await waitForStatus(id, "expired");
    expect(row.result).toBeNull();
    // The ending is written before graphile-worker lets the job go.
    await waitFor(async () => (await jobCount()) === 0);
  });

  it("cancels a queued job at once: job gone, execution cancelled", async () => {
    const id = await enqueue(db(), add, { a: 1, b: 2 }, { delayMs: 60_000 });
    const outcome = await db()
      .transaction()
      .execute((trx) => cancelExecution(trx, id));
    expect(outcome).toBe("cancelled");
    expect(await execution(id)).toMatchObject({ status: "cancelled", job_id: null });
    expect(await jobCount()).toBe(0);
    expect(
      await db()
        .transaction()
        .execute((trx) => cancelExecution(trx, id)),
    ).toBe("already_finished");
  });

  it("cancels a running job through its worker; it is not retried", async () => {
    const worker = await startTestWorker(all);
    const id = await enqueue(db(), waitsForCancel, {});
    const running = await waitForStatus(id, "running");
    await waitFor(async () => worker.running.has(running.id));
    const outcome = await db()
      .transaction()
      .execute((trx) => cancelExecution(trx, id));
    expect(outcome).toBe("requested");
    const row = await waitForStatus(id, "cancelled");
    expect(row.attempts).toBe(1);
    await waitFor(async () => (await jobCount()) === 0);
  });

  it("retries a dead execution from the dead-letter queue", async () => {
    await startTestWorker(all);
    const id = await enqueue(db(), permanent, {});
    await waitForStatus(id, "dead");
    const registry = new TaskRegistry(all);
    expect(await operatorRetry(registry, id)).toBe("retried");
    const row = await waitForStatus(id, "dead");
    expect(row.attempts).toBe(2);
    expect(await operatorRetry(registry, "00000000-0000-0000-0000-000000000000")).toBe("not_found");
  });

  it("keeps the attempt history of a dead execution that an operator retry runs to success", async () => {
    await startTestWorker(all);
    // The first attempt fails and is the last one; the retry's attempt (2) succeeds.
    const id = await enqueue(db(), debugTask, { fail_attempts: 1 }, { maxAttempts: 1 });
    const dead = await waitForStatus(id, "dead");
    const registry = new TaskRegistry(all);
    expect(await operatorRetry(registry, id)).toBe("retried");
    const row = await waitForStatus(id, "succeeded");
    expect(row.attempts).toBe(2);
    expect(await attemptsOf(dead.id)).toEqual([
      { attempt: 1, outcome: "failed", error_class: "CanaryFailure" },
      { attempt: 2, outcome: "succeeded", error_class: null },
    ]);
  });

  it("gives an operator retry the payload as enqueued when it is not an object", async () => {
    const sumsList = defineTask({
      name: "sums_a_list",
      lane: "analytics",
      payload: z.array(z.number()),
      maxAttempts: 1,
      run: async (numbers, ctx) => {
        if (ctx.attempt === 1) throw new Error("first attempt fails");
        return numbers.reduce((sum, n) => sum + n, 0);
      },
    });
    await startTestWorker([sumsList]);
    const id = await enqueue(db(), sumsList, [1, 2, 3]);
    await waitForStatus(id, "dead");
    expect(await operatorRetry(new TaskRegistry([sumsList]), id)).toBe("retried");
    const row = await waitForStatus(id, ["succeeded", "dead"]);
    expect(row).toMatchObject({ status: "succeeded", result: 6 });
  });

  it("holds a paused lane's jobs until it is resumed", async () => {
    await setLanePaused(db(), "analytics", true, "test");
    await startTestWorker(all);
    const id = await enqueue(db(), add, { a: 4, b: 4 });
    const other = await enqueue(db(), flaky, { failTimes: 0 });
    await waitForStatus(other, "succeeded");
    await sleep(300);
    expect((await execution(id)).status).toBe("queued");
    await setLanePaused(db(), "analytics", false, "test");
    expect((await waitForStatus(id, "succeeded")).result).toMatchObject({ sum: 8 });
  });

  it("ends every job of a mixed run in exactly one terminal status", async () => {
    await startTestWorker(all);
    const items = Array.from({ length: 60 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return { task: add, payload: { a: i, b: 1 } };
        case 1:
          return { task: flaky, payload: { failTimes: i % 8 === 1 ? 1 : 5 } };
        case 2:
          return { task: permanent, payload: {} };
        default:
          return { task: snoozer, payload: {} };
      }
    });
    const ids = await enqueueMany(db(), items);
    await waitFor(async () => {
      const open = await db()
        .selectFrom("executions")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("public_id", "in", ids)
        .where("status", "not in", ["succeeded", "dead", "cancelled", "expired"])
        .executeTakeFirstOrThrow();
      return Number(open.n) === 0;
    }, 30_000);
    const byStatus = await db()
      .selectFrom("executions")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .where("public_id", "in", ids)
      .groupBy("status")
      .execute();
    const counts = Object.fromEntries(byStatus.map((row) => [row.status, Number(row.n)]));
    expect(counts).toEqual({ succeeded: 15 + 8 + 15, dead: 7 + 15 });
    await waitFor(async () => (await jobCount()) === 0);
  });
});
