import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue, enqueueMany } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { assertEnqueued, assertNotEnqueued } from "../../src/testing/assertEnqueued.ts";
import { enqueuedList } from "../../src/testing/enqueuedList.ts";
import debugTask from "../../tasks/debug_task.ts";
import { withRollback } from "../support/database.ts";
import { db } from "../support/engine.ts";

const sendSms = defineTask({
  name: "send_sms",
  lane: "notifications",
  payload: z.object({ to: z.string(), body: z.string(), token: z.string().optional() }),
  secretFields: ["token"],
  run: async () => "sent",
});

beforeEach(async () => {
  await sql`truncate executions cascade`.execute(db());
});

describe("enqueuedList", () => {
  it("lists the executions of a task whose payload contains the given fields, in enqueue order", async () => {
    const [first, , third] = await enqueueMany(db(), [
      { task: sendSms, payload: { to: "+15550000001", body: "a" } },
      { task: sendSms, payload: { to: "+15550000002", body: "b" } },
      { task: sendSms, payload: { to: "+15550000001", body: "c" } },
      { task: debugTask, payload: { to: "+15550000001" } },
    ]);
    const rows = await enqueuedList(db(), sendSms, { payload: { to: "+15550000001" } });
    expect(rows.map((row) => row.public_id)).toEqual([first, third]);
    expect(rows.map((row) => row.payload)).toEqual([
      { to: "+15550000001", body: "a" },
      { to: "+15550000001", body: "c" },
    ]);
    expect(await enqueuedList(db(), "send_sms")).toHaveLength(3);
    expect(await enqueuedList(db(), "send_sms", { status: ["running", "dead"] })).toEqual([]);
  });

  it("matches secret fields by their real value, though the ledger shows them redacted", async () => {
    const id = await enqueue(db(), sendSms, { to: "+15550000001", body: "a", token: "s3cret" });
    const [row] = await enqueuedList(db(), sendSms, { payload: { token: "s3cret" } });
    expect(row?.public_id).toBe(id);
    expect(row?.payload).toEqual({ to: "+15550000001", body: "a", token: "[redacted]" });
    expect(await enqueuedList(db(), sendSms, { payload: { token: "other" } })).toEqual([]);
    expect(await enqueuedList(db(), sendSms, { payload: { token: "[redacted]" } })).toEqual([]);
  });

  it("refuses an unknown status and an empty task name, naming them", async () => {
    await expect(enqueuedList(db(), sendSms, { status: "done" as never })).rejects.toThrow(
      'status: unknown status "done" (one of queued, scheduled, running, retrying, succeeded, dead, cancelled, expired)',
    );
    await expect(enqueuedList(db(), sendSms, { status: [] })).rejects.toThrow(
      "status: give at least one status",
    );
    await expect(enqueuedList(db(), "")).rejects.toThrow(
      "task: give a task or a non-empty task name",
    );
  });
});

describe("assertEnqueued", () => {
  it("returns the one execution that matches payload, status, lane and priority", async () => {
    const id = await enqueue(db(), sendSms, { to: "+15550000001", body: "hi" }, { priority: 3 });
    await enqueue(db(), sendSms, { to: "+15550000002", body: "hi" });
    const row = await assertEnqueued(db(), sendSms, {
      payload: { to: "+15550000001" },
      status: "queued",
      lane: "notifications",
      priority: 3,
    });
    expect(row).toMatchObject({ public_id: id, task_name: "send_sms", status: "queued" });
  });

  it("says what was expected and lists what was enqueued for the task when nothing matches", async () => {
    const a = await enqueue(db(), sendSms, { to: "+15550000001", body: "a", token: "t" });
    const b = await enqueue(db(), sendSms, { to: "+15550000002", body: "b" }, { priority: 2 });
    await expect(
      assertEnqueued(db(), sendSms, { payload: { to: "+15550000003" }, status: "queued" }),
    ).rejects.toThrow(
      [
        'expected 1 execution of task "send_sms" with payload containing {"to":"+15550000003"}, status queued; found 0.',
        'Enqueued for "send_sms" (2):',
        `  ${a} queued, lane notifications, priority 8, payload {"to":"+15550000001","body":"a","token":"[redacted]"}`,
        `  ${b} queued, lane notifications, priority 2, payload {"to":"+15550000002","body":"b"}`,
      ].join("\n"),
    );
  });

  it("names the tasks that have executions when the task has none", async () => {
    await enqueue(db(), debugTask, {});
    await expect(assertEnqueued(db(), "send_smss")).rejects.toThrow(
      'expected 1 execution of task "send_smss"; found 0.\n' +
        'Nothing was enqueued for "send_smss"; tasks with executions: debug_task.',
    );
    await sql`truncate executions cascade`.execute(db());
    await expect(assertEnqueued(db(), sendSms)).rejects.toThrow(
      'expected 1 execution of task "send_sms"; found 0.\nNothing was enqueued.',
    );
  });

  it("wants exactly one match unless a count is given, then returns them in enqueue order", async () => {
    const ids = await enqueueMany(db(), [
      { task: sendSms, payload: { to: "+15550000001", body: "a" } },
      { task: sendSms, payload: { to: "+15550000001", body: "b" } },
    ]);
    await expect(
      assertEnqueued(db(), sendSms, { payload: { to: "+15550000001" } }),
    ).rejects.toThrow(
      'expected 1 execution of task "send_sms" with payload containing {"to":"+15550000001"}; found 2.',
    );
    const rows = await assertEnqueued(db(), sendSms, { count: 2 });
    expect(rows.map((row) => row.public_id)).toEqual(ids);
    await expect(assertEnqueued(db(), sendSms, { count: 3, lane: "email" })).rejects.toThrow(
      'expected 3 executions of task "send_sms" with lane email; found 0.',
    );
    await expect(assertEnqueued(db(), sendSms, { count: -1 })).rejects.toThrow(
      "count: must be a whole number, 0 or more (got -1)",
    );
  });

  it("lists at most 20 executions in its message", async () => {
    await enqueueMany(
      db(),
      Array.from({ length: 23 }, (_, n) => ({
        task: sendSms,
        payload: { to: "+15550000001", body: String(n) },
      })),
    );
    const error = await assertEnqueued(db(), sendSms, { status: "dead" }).catch((e: Error) => e);
    const message = (error as Error).message;
    expect(message).toContain('Enqueued for "send_sms" (23):');
    expect(message.match(/^ {2}[0-9a-f-]{36} queued/gm)).toHaveLength(20);
    expect(message.endsWith("  … and 3 more")).toBe(true);
  });

  it("sees an enqueue inside the caller's transaction before it commits", async () => {
    await withRollback(async (trx) => {
      const id = await enqueue(trx, sendSms, { to: "+15550000001", body: "outbox" });
      expect((await assertEnqueued(trx, sendSms, { payload: { body: "outbox" } })).public_id).toBe(
        id,
      );
      // Another connection does not see it yet.
      await assertNotEnqueued(db(), sendSms);
    });
    await assertNotEnqueued(db(), sendSms);
  });
});

describe("assertNotEnqueued", () => {
  it("passes when nothing matches and lists the matches when something does", async () => {
    const id = await enqueue(db(), sendSms, { to: "+15550000001", body: "a" });
    await assertNotEnqueued(db(), sendSms, { payload: { to: "+15550000002" } });
    await assertNotEnqueued(db(), debugTask);
    await expect(assertNotEnqueued(db(), sendSms, { payload: { body: "a" } })).rejects.toThrow(
      [
        'expected no execution of task "send_sms" with payload containing {"body":"a"}; found 1.',
        'Enqueued for "send_sms" (1):',
        `  ${id} queued, lane notifications, priority 8, payload {"to":"+15550000001","body":"a"}`,
      ].join("\n"),
    );
  });
});
