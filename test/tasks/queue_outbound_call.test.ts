import { beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import queueOutboundCall from "../../tasks/queue_outbound_call.ts";
import { type CallCenter, callTasks, startCallTasksCenter } from "../support/calls.ts";
import { db, startTestWorker, waitForStatus } from "../support/engine.ts";

const CREATE = { method: "POST", path: "/Calls\\.json$" };
let center: CallCenter;

beforeAll(async () => {
  center = await startCallTasksCenter();
});

describe("queue_outbound_call", () => {
  it("treats the execution's own last attempt as the last: the intent ends failed, not left to a retry", async () => {
    await startTestWorker(callTasks, { services: center.services });
    center.simulator.reset();
    center.simulator.injectFault({ kind: "500", count: 1, match: CREATE });
    const id = await enqueue(
      db(),
      queueOutboundCall,
      { to_number: "+15552007100" },
      { maxAttempts: 1 },
    );
    const row = await waitForStatus(id, "dead");
    expect(row).toMatchObject({ attempts: 1, error_class: "PermanentError" });
    const calls = await db()
      .selectFrom("calls")
      .select(["status", "sid"])
      .where("to_number", "=", "+15552007100")
      .execute();
    expect(calls).toEqual([{ status: "failed", sid: null }]);
  });
});
