import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CanaryFailure } from "../../src/diagnostics/canary.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { EnqueueError } from "../../src/engine/errors.ts";
import { reconcileVanishedJobs } from "../../src/engine/ledger/reconcile.ts";
import { defineTask } from "../../src/engine/task.ts";
import { enqueuedList } from "../../src/testing/enqueuedList.ts";
import { RUN_TASK_WORKER_ID, runTask } from "../../src/testing/runTask.ts";
import { waitForExecution } from "../../src/testing/waitForExecution.ts";
import debugTask from "../../tasks/debug_task.ts";
import { db, execution, jobCount, startTestWorker, waitFor } from "../support/engine.ts";

const executionCount = async () =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from executions`.execute(db())).rows[0]?.n,
  );

describe("runTask", () => {
  it("runs one attempt inline and returns the result with the execution the ledger holds", async () => {
    const { result, execution: row } = await runTask(db(), debugTask, { sleep_ms: 20 });
    expect(result).toMatchObject({ echo: { sleep_ms: 20 }, attempt: 1 });
    expect(row).toMatchObject({
      task_name: "debug_task",
      lane: "realtime",
      status: "succeeded",
      attempts: 1,
      progress: 100,
      job_id: null,
      worker_id: RUN_TASK_WORKER_ID,
      result: JSON.parse(JSON.stringify(result)),
    });
    expect(row.started_at).not.toBeNull();
    expect(row.finished_at).not.toBeNull();
    expect(await jobCount()).toBe(0);
  });

  it("gives the task a real context: its execution id, progress in the ledger, attempts", async () => {
    const seen: unknown[] = [];
    const reporter = defineTask({
      name: "report_progress",
      lane: "reports",
      payload: z.object({ n: z.number() }),
      maxAttempts: 4,
      run: async (payload, ctx) => {
        // The start is buffered and flushed with the worker's next batch, as in a worker.
        const running = await waitFor(async () => {
          const row = await execution(ctx.executionId);
          return row.status === "running" && row;
        });
        seen.push(running.job_id, running.worker_id, ctx.attempt, ctx.maxAttempts);
        ctx.progress(40, "halfway");
        await waitFor(async () => (await execution(ctx.executionId)).progress === 40);
        seen.push((await execution(ctx.executionId)).progress_message);
        return payload.n * 2;
      },
    });
    const { result, execution: row } = await runTask(db(), reporter, { n: 21 });
    expect(result).toBe(42);
    expect(seen).toEqual([null, RUN_TASK_WORKER_ID, 1, 4, "halfway"]);
    expect(row).toMatchObject({ status: "succeeded", progress: 100, max_attempts: 4 });
    const { execution: capped } = await runTask(db(), reporter, { n: 1 }, { maxAttempts: 1 });
    expect(capped.max_attempts).toBe(1);
    expect(seen.at(-2)).toBe(1);
  });

  it("rejects with the task's own error and ends the execution dead with it", async () => {
    const error = await runTask(db(), debugTask, { fail: "always" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryFailure);
    expect((error as Error).message).toBe("failed on request (attempt 1)");
    const [row] = await db()
      .selectFrom("executions")
      .selectAll()
      .where("status", "=", "dead")
      .execute();
    expect(row).toMatchObject({
      task_name: "debug_task",
      attempts: 1,
      job_id: null,
      error_class: "CanaryFailure",
      error_message: "failed on request (attempt 1)",
      worker_id: RUN_TASK_WORKER_ID,
    });
    const attempts = await db()
      .selectFrom("execution_attempts")
      .selectAll()
      .where("execution_id", "=", row?.id as number)
      .execute();
    expect(attempts).toMatchObject([
      { attempt: 1, outcome: "failed", error_class: "CanaryFailure" },
    ]);
  });

  it("rejects when the ledger could not record the success, rather than return a running execution", async () => {
    // Postgres' jsonb refuses the NUL character, so writing this result fails.
    const nul = defineTask({
      name: "returns_a_nul",
      lane: "realtime",
      payload: z.object({}),
      run: async () => ({ text: "a\u0000b" }),
    });
    await expect(runTask(db(), nul, {})).rejects.toThrow(
      /^task "returns_a_nul" succeeded but the ledger did not record it: execution [0-9a-f-]{36} is still queued/,
    );
  });

  it("validates the payload and options as enqueue does, writing nothing", async () => {
    const before = await executionCount();
    const bad = await runTask(db(), debugTask, { sleep_ms: -1 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(EnqueueError);
    expect((bad as EnqueueError).message).toMatch(/^invalid payload\.sleep_ms \(/);
    await expect(runTask(db(), debugTask, {}, { maxAttempts: 0 })).rejects.toThrow(
      /^invalid options\.maxAttempts \(/,
    );
    expect(await executionCount()).toBe(before);
    expect(await jobCount()).toBe(0);
  });

  it("leaves no job a worker could run a second time, and the reconcile sweep leaves it alone", async () => {
    let runs = 0;
    const counted = defineTask({
      name: "counted",
      lane: "realtime",
      payload: z.object({}),
      run: async (_payload, ctx) => {
        runs++;
        await waitFor(async () => (await execution(ctx.executionId)).status === "running");
        // A live execution whose job is gone would be ended by this sweep, were its job id set.
        await reconcileVanishedJobs(db());
        return { status: (await execution(ctx.executionId)).status, jobs: await jobCount() };
      },
    });
    await startTestWorker([counted, debugTask]);
    const { result } = await runTask(db(), counted, {});
    expect(result).toEqual({ status: "running", jobs: 0 });
    // The worker is alive and fetching: a job enqueued after that one runs and ends.
    await waitForExecution(db(), await enqueue(db(), debugTask, {}), { status: "succeeded" });
    const [row] = await enqueuedList(db(), counted);
    expect(row?.status).toBe("succeeded");
    expect(runs).toBe(1);
  });

  it("lets the task enqueue real child executions, which a worker runs", async () => {
    const parent = defineTask({
      name: "fan_out",
      lane: "analytics",
      payload: z.object({ children: z.number().int() }),
      run: async ({ children }, ctx) => {
        const ids: string[] = [];
        for (let n = 0; n < children; n++) ids.push(await ctx.enqueue(debugTask, { n }));
        return ids;
      },
    });
    await startTestWorker([debugTask]);
    const { result: children, execution: row } = await runTask(db(), parent, { children: 2 });
    expect(children).toHaveLength(2);
    for (const id of children) {
      const child = await waitForExecution(db(), id, { status: "succeeded" });
      expect(child.parent_id).toBe(row.public_id);
      expect(child.result).toMatchObject({ echo: { n: children.indexOf(id) } });
    }
  });

  it("hands the task its services, and without them reading ctx.services throws as in a worker", async () => {
    const greet = defineTask({
      name: "greet",
      lane: "email",
      payload: z.object({ name: z.string(), token: z.string() }),
      secretFields: ["token"],
      run: async ({ name, token }, ctx: { services: { greeting: string } }) =>
        `${ctx.services.greeting}, ${name} (${token})`,
    });
    const { result, execution: row } = await runTask(
      db(),
      greet,
      { name: "Ada", token: "t0k" },
      { services: { greeting: "Hello" } },
    );
    expect(result).toBe("Hello, Ada (t0k)");
    expect(row.payload).toEqual({ name: "Ada", token: "[redacted]" });
    await expect(runTask(db(), greet, { name: "Ada", token: "t" })).rejects.toThrow(
      "this worker was started without services",
    );
  });
});
