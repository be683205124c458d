import { beforeAll, describe, expect, it } from "vitest";
import { TaskRegistry } from "../../src/engine/registry.ts";
import debugTask from "../../tasks/debug_task.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { db, startTestWorker, waitForStatus } from "../support/engine.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let operate: Record<string, string>;
beforeAll(async () => {
  operate = await authHeaders("operate");
});

const execute = async (body: unknown) => {
  const app = testApp(undefined, { registry: new TaskRegistry([debugTask]) });
  const response = await app.request("/api/tasks/debug_task/execute/", {
    method: "POST",
    headers: operate,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const attempts = (publicId: string) =>
  db()
    .selectFrom("execution_attempts")
    .innerJoin("executions", "executions.id", "execution_attempts.execution_id")
    .select(["execution_attempts.attempt", "execution_attempts.outcome"])
    .where("executions.public_id", "=", publicId)
    .orderBy("execution_attempts.attempt")
    .execute();

describe("debug_task", () => {
  it("runs in the realtime lane, sleeps, reports progress and echoes its payload", async () => {
    await startTestWorker([debugTask]);
    const { status, body } = await execute({ payload: { sleep_ms: 100, note: "canary" } });
    expect(status).toBe(202);
    const done = await waitForStatus(body.task_id, "succeeded");
    expect(done.lane).toBe("realtime");
    expect(done.progress).toBe(100);
    const result = done.result as Json;
    expect(result.echo).toEqual({ sleep_ms: 100, note: "canary" });
    expect(result.attempt).toBe(1);
    expect(result.slept_ms).toBeGreaterThanOrEqual(100);
  });

  it("fails its first attempts on request, then succeeds", async () => {
    await startTestWorker([debugTask]);
    const { body } = await execute({ payload: { fail_attempts: 1 } });
    const done = await waitForStatus(body.task_id, "succeeded");
    expect((done.result as Json).attempt).toBe(2);
    expect(await attempts(body.task_id)).toEqual([
      { attempt: 1, outcome: "failed" },
      { attempt: 2, outcome: "succeeded" },
    ]);
  });

  it("ends dead at once on a permanent failure, and after its attempts on `always`", async () => {
    await startTestWorker([debugTask]);
    const permanent = await execute({ payload: { fail: "permanent" } });
    const always = await execute({ payload: { fail: "always" }, options: { max_attempts: 2 } });
    const first = await waitForStatus(permanent.body.task_id, "dead");
    expect(first.attempts).toBe(1);
    expect(first.error_class).toBe("PermanentError");
    const second = await waitForStatus(always.body.task_id, "dead");
    expect(second.attempts).toBe(2);
    expect(second.error_class).toBe("CanaryFailure");
  });

  it("refuses a bad payload naming the field, and writes nothing", async () => {
    const count = async () => (await db().selectFrom("executions").select("id").execute()).length;
    const before = await count();
    const { status, body } = await execute({ payload: { sleep_ms: -1, fail: "sometimes" } });
    expect(status).toBe(400);
    expect(body.error.details.map((d: Json) => d.path)).toEqual([
      "payload.sleep_ms",
      "payload.fail",
    ]);
    expect(await count()).toBe(before);
  });
});
