import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueueMany } from "../../../src/engine/enqueue.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { db } from "../../support/engine.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let admin: Record<string, string>;
let operate: Record<string, string>;
beforeAll(async () => {
  admin = await authHeaders("admin");
  operate = await authHeaders("operate");
});

/** A task this API process does not know: its code was removed. */
const removedExport = defineTask({
  name: "removed_export",
  lane: "exports",
  payload: z.object({ n: z.number() }),
  run: async () => null,
});
const keptExport = defineTask({
  name: "kept_export",
  lane: "exports",
  payload: z.object({ n: z.number() }),
  run: async () => null,
});

const purge = async (body: unknown, headers = admin) => {
  const response = await testApp().request("/api/tasks/purge/", {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

async function waitingCount(taskName: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from executions
    where task_name = ${taskName} and status in ('queued', 'scheduled', 'retrying')`.execute(db());
  return rows[0]?.n ?? 0;
}

describe("POST /api/tasks/purge/", () => {
  it("cancels every waiting execution of a task, over several batches, audited", async () => {
    await enqueueMany(
      db(),
      Array.from({ length: 1_200 }, (_, n) => ({ task: removedExport, payload: { n } })),
    );
    await enqueueMany(db(), [{ task: keptExport, payload: { n: 1 } }]);
    const { status, body } = await purge({ task_name: "removed_export" });
    expect(status).toBe(200);
    expect(body).toEqual({
      lane: null,
      task_name: "removed_export",
      cancelled: 1_200,
      cancel_requested: 0,
      batches: 4,
      audit_id: expect.any(Number),
    });
    expect(await waitingCount("removed_export")).toBe(0);
    expect(await waitingCount("kept_export")).toBe(1);

    const audit = await testApp().request("/api/audit/?action=execution.purge", {
      headers: admin,
    });
    const { items } = (await audit.json()) as Json;
    expect(items).toEqual([
      expect.objectContaining({
        id: body.audit_id,
        action: "execution.purge",
        details: { lane: null, task_name: "removed_export", cancelled: 1_200, cancel_requested: 0 },
        outcome: "purged",
      }),
    ]);
  });

  it("cancels a lane's waiting executions", async () => {
    await enqueueMany(db(), [
      { task: keptExport, payload: { n: 2 } },
      { task: removedExport, payload: { n: 3 }, options: { delayMs: 60_000 } },
    ]);
    const waiting = (await waitingCount("kept_export")) + (await waitingCount("removed_export"));
    expect(waiting).toBeGreaterThanOrEqual(2);
    const { status, body } = await purge({ lane: "exports" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ lane: "exports", task_name: null, cancelled: waiting });
    expect(await waitingCount("kept_export")).toBe(0);
    expect(await waitingCount("removed_export")).toBe(0);
  });

  it("needs the admin scope", async () => {
    expect((await purge({ lane: "exports" }, operate)).status).toBe(403);
  });

  it("refuses a purge without a lane or task, or with a bad one, naming the field", async () => {
    const audited = async () => (await db().selectFrom("audit_log").select("id").execute()).length;
    const before = await audited();
    for (const [input, field] of [
      [{}, "lane"],
      [{ lane: "phones" }, "lane"],
      [{ task_name: "" }, "task_name"],
      [{ task_name: "removed\u0000export" }, "task_name"],
      [{ lane: "exports", everything: true }, "(root)"],
    ] as const) {
      const { status, body } = await purge(input);
      expect(status, JSON.stringify(input)).toBe(400);
      expect(body.error.details[0].path, JSON.stringify(input)).toBe(field);
    }
    expect(await audited()).toBe(before);
  });
});
