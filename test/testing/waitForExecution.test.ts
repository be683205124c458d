import { describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import { waitForExecution } from "../../src/testing/waitForExecution.ts";
import debugTask from "../../tasks/debug_task.ts";
import { db, startTestWorker } from "../support/engine.ts";

describe("waitForExecution", () => {
  it("resolves with the execution once a worker ends it, by default in any terminal status", async () => {
    await startTestWorker([debugTask]);
    const id = await enqueue(db(), debugTask, { sleep_ms: 20 });
    const done = await waitForExecution(db(), id);
    expect(done).toMatchObject({ public_id: id, status: "succeeded", progress: 100 });
    expect(done.result).toMatchObject({ echo: { sleep_ms: 20 }, attempt: 1 });

    const failed = await enqueue(db(), debugTask, { fail: "permanent" });
    expect(await waitForExecution(db(), failed)).toMatchObject({
      status: "dead",
      error_class: "PermanentError",
    });
  });

  it("waits for a status it is given, one or several", async () => {
    await startTestWorker([debugTask]);
    const id = await enqueue(db(), debugTask, { sleep_ms: 500 });
    const running = await waitForExecution(db(), id, { status: "running" });
    expect(running.status).toBe("running");
    const ended = await waitForExecution(db(), id, { status: ["succeeded", "dead"] });
    expect(ended.status).toBe("succeeded");
  });

  it("throws as soon as the execution ends in a status it was not waiting for, with its error", async () => {
    await startTestWorker([debugTask]);
    const id = await enqueue(db(), debugTask, { fail: "permanent" });
    await expect(waitForExecution(db(), id, { status: "succeeded" })).rejects.toThrow(
      `execution ${id} (task "debug_task") ended dead ` +
        "(PermanentError: failed on request (permanent)); waited for succeeded",
    );
  });

  it("on timeout names the execution, the status it is still in and what it waited for", async () => {
    // No worker: the job stays queued.
    const id = await enqueue(db(), debugTask, {});
    const started = Date.now();
    await expect(waitForExecution(db(), id, { timeoutMs: 200 })).rejects.toThrow(
      `execution ${id} (task "debug_task") is still queued after 200 ms; ` +
        "waited for succeeded or dead or cancelled or expired",
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it("throws at once for an id no execution has, and for one that is not an id", async () => {
    const unknown = "01890a5d-ac96-774b-bcce-b302099a8057";
    await expect(waitForExecution(db(), unknown, { timeoutMs: 60_000 })).rejects.toThrow(
      `no execution has id ${unknown}`,
    );
    await expect(waitForExecution(db(), "42")).rejects.toThrow(
      'publicId: "42" is not an execution id (a UUID)',
    );
  });

  it("refuses an unknown status and a timeout that is not a positive number", async () => {
    const id = await enqueue(db(), debugTask, {});
    await expect(waitForExecution(db(), id, { status: "finished" as never })).rejects.toThrow(
      'status: unknown status "finished"',
    );
    await expect(waitForExecution(db(), id, { timeoutMs: 0 })).rejects.toThrow(
      "timeoutMs: must be a positive number of milliseconds (got 0)",
    );
  });
});
