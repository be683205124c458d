import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { retryExecution } from "../../src/engine/control/retry.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { PermanentError, SnoozeError } from "../../src/engine/errors.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { defineTask } from "../../src/engine/task.ts";
import { db, execution, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";

/** The priority graphile-worker holds for the execution's current job, as a lane speaks it. */
async function jobPriorityOf(publicId: string): Promise<number | undefined> {
  const { rows } = await sql<{ priority: number }>`
    select -j.priority as priority from graphile_worker.jobs j
    join executions e on e.job_id = j.id where e.public_id = ${publicId}`.execute(db());
  return rows[0]?.priority;
}

// The reports lane's own priority is 3.
const failsOnce = defineTask({
  name: "fails_once_then_waits",
  lane: "reports",
  payload: z.object({}),
  maxAttempts: 3,
  retry: { kind: "fixed", delayMs: 60_000 },
  run: async () => {
    throw new Error("first attempt fails");
  },
});

const snoozesLong = defineTask({
  name: "snoozes_long",
  lane: "reports",
  payload: z.object({}),
  run: async () => {
    throw new SnoozeError(60_000);
  },
});

const diesAtOnce = defineTask({
  name: "dies_at_once",
  lane: "reports",
  payload: z.object({}),
  run: async () => {
    throw new PermanentError("no");
  },
});

const withSecret = defineTask({
  name: "uses_a_token",
  lane: "realtime",
  payload: z.object({ token: z.string(), who: z.string() }),
  secretFields: ["token"],
  run: async ({ token, who }) => ({ tokenLength: token.length, who }),
});

const reportsAttempts = defineTask({
  name: "reports_attempts",
  lane: "realtime",
  payload: z.object({}),
  run: async (_payload, ctx) => ({ attempt: ctx.attempt, maxAttempts: ctx.maxAttempts }),
});

describe("an execution's job", () => {
  it("keeps the execution's own priority when it is retried by its strategy", async () => {
    await startTestWorker([failsOnce]);
    const id = await enqueue(db(), failsOnce, {}, { priority: 7 });
    await waitForStatus(id, "retrying");
    expect(await jobPriorityOf(id)).toBe(7);
    expect((await execution(id)).priority).toBe(7);
  });

  it("keeps the execution's own priority when it snoozes", async () => {
    await startTestWorker([snoozesLong]);
    const id = await enqueue(db(), snoozesLong, {}, { priority: 7 });
    await waitForStatus(id, "retrying");
    expect(await jobPriorityOf(id)).toBe(7);
  });

  it("keeps the execution's own priority when retried from the dead-letter queue", async () => {
    const worker = await startTestWorker([diesAtOnce]);
    const id = await enqueue(db(), diesAtOnce, {}, { priority: 7 });
    await waitForStatus(id, "dead");
    // Stopped, so that the new job stays to be looked at.
    await worker.stop();
    const registry = new TaskRegistry([diesAtOnce]);
    await db()
      .transaction()
      .execute((trx) => retryExecution(trx, registry, id));
    expect(await jobPriorityOf(id)).toBe(7);
    expect((await execution(id)).priority).toBe(7);
  });

  it("stores a crontab job's payload with the task's secret fields redacted", async () => {
    await startTestWorker([withSecret]);
    await sql`select graphile_worker.add_job('uses_a_token',
      json_build_object('_cron', json_build_object('ts', now()), 'token', 's3cret', 'who', 'cron'),
      flags => array['realtime'])`.execute(db());
    const row = await waitFor(() =>
      db()
        .selectFrom("executions")
        .selectAll()
        .where("task_name", "=", "uses_a_token")
        .executeTakeFirst(),
    );
    expect(row.payload).toEqual({ token: "[redacted]", who: "cron" });
    expect(row.secrets).toEqual({ token: "s3cret" });
    const done = await waitForStatus(row.public_id, "succeeded");
    expect(done.result).toEqual({ tokenLength: 6, who: "cron" });
  });

  it("gives the task its execution's own max attempts", async () => {
    await startTestWorker([reportsAttempts]);
    const id = await enqueue(db(), reportsAttempts, {}, { maxAttempts: 7 });
    expect((await waitForStatus(id, "succeeded")).result).toEqual({ attempt: 1, maxAttempts: 7 });
  });
});
