import * as testing from "switchboard/testing";
import { describe, expect, it } from "vitest";
import { assertEnqueued } from "../../src/testing/assertEnqueued.ts";
import { runTask } from "../../src/testing/runTask.ts";
import { waitForExecution } from "../../src/testing/waitForExecution.ts";

describe("switchboard/testing", () => {
  it("resolves through the package's exports map to the testing helpers", () => {
    expect(Object.keys(testing).sort()).toEqual([
      "RUN_TASK_WORKER_ID",
      "assertEnqueued",
      "assertNotEnqueued",
      "enqueuedList",
      "runTask",
      "waitForExecution",
    ]);
    expect(testing.assertEnqueued).toBe(assertEnqueued);
    expect(testing.runTask).toBe(runTask);
    expect(testing.waitForExecution).toBe(waitForExecution);
  });
});
