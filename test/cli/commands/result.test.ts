/** `switchboard result <id> [--wait N] [--json]` as a user runs it, against a real worker. */
import { setTimeout as sleep } from "node:timers/promises";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { PermanentError } from "../../../src/engine/errors.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl } from "../../support/database.ts";
import { db, emptyQueue, startTestWorker, waitForStatus } from "../../support/engine.ts";

const nap = defineTask({
  name: "result_nap",
  lane: "realtime",
  payload: z.object({ ms: z.number() }),
  run: async ({ ms }) => {
    await sleep(ms);
    return { slept: ms };
  },
});

const refuse = defineTask({
  name: "result_refuse",
  lane: "realtime",
  payload: z.object({}),
  maxAttempts: 1,
  run: async () => {
    throw new PermanentError("no such call");
  },
});

const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });

async function result(args: string[]) {
  const started = performance.now();
  const answer = await runCli(["result", ...args], env());
  return { ...answer, elapsedMs: performance.now() - started };
}

beforeEach(emptyQueue);

describe("switchboard result", () => {
  it("waits for the execution to end and prints its result, exit 0", async () => {
    await startTestWorker([nap]);
    const id = await enqueue(db(), nap, { ms: 1_500 });
    const answer = await result([id, "--wait", "60"]);
    expect(answer.code, answer.stderr).toBe(0);
    expect(answer.stdout).toMatch(/^status\s+succeeded$/m);
    expect(answer.stdout).toMatch(/^result\s+\{"slept":1500\}$/m);
    expect((await waitForStatus(id, "succeeded")).finished_at).not.toBeNull();
  });

  it("prints the API's execution as JSON with --json; exit 1 for a failed one", async () => {
    await startTestWorker([refuse]);
    const id = await enqueue(db(), refuse, {});
    const answer = await result([id, "--wait", "30", "--json"]);
    expect(answer.code).toBe(1);
    const view = JSON.parse(answer.stdout);
    expect(view).toMatchObject({
      task_id: id,
      task_name: "result_refuse",
      status: "dead",
      celery_status: "FAILURE",
      error: { class: "PermanentError", message: "no such call" },
    });
  });

  it("gives up when the wait is up, exit 2; without --wait it answers at once", async () => {
    const id = await enqueue(db(), nap, { ms: 0 }, { delayMs: 60_000 });
    const waited = await result([id, "--wait", "1"]);
    expect(waited.code).toBe(2);
    expect(waited.stdout).toMatch(/^status\s+scheduled \(not ended\)$/m);
    const now = await result([id, "--json"]);
    expect(now.code).toBe(2);
    expect(JSON.parse(now.stdout).status).toBe("scheduled");
    // The wait cannot end before its second is up, whatever a CLI start costs.
    expect(waited.elapsedMs).toBeGreaterThanOrEqual(1000);
  });

  it("refuses a bad id or wait, and names an unknown id", async () => {
    const badId = await result(["not-a-uuid"]);
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toContain("execution-id");
    const badWait = await result(["0193d2c4-0000-7000-8000-000000000000", "--wait", "soon"]);
    expect(badWait.code).not.toBe(0);
    expect(badWait.stderr).toContain("--wait");
    const unknown = await result(["0193d2c4-0000-7000-8000-000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no execution has id 0193d2c4-0000-7000-8000-000000000000");
  });
});
