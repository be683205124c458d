import { userInfo } from "node:os";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { defineTask } from "../../../src/engine/task.ts";
import systemHealthCheck from "../../../tasks/system_health_check.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl } from "../../support/database.ts";
import { db, execution } from "../../support/engine.ts";

const actor = `cli:${userInfo().username}`;
const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });
const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

let admin: Record<string, string>;
beforeAll(async () => {
  admin = await authHeaders("admin");
});

interface AuditItem {
  actor: string;
  action: string;
  target_ids: string[];
  outcome: string;
  request_id: string | null;
}

/** The audit log as an operator reads it: `GET /api/audit/`, oldest first. */
async function auditLog(action: string): Promise<AuditItem[]> {
  const response = await testApp().request(`/api/audit/?action=${action}`, { headers: admin });
  expect(response.status).toBe(200);
  const { items } = (await response.json()) as { items: AuditItem[] };
  return items.reverse().map(({ actor, action, target_ids, outcome, request_id }) => ({
    actor,
    action,
    target_ids,
    outcome,
    request_id,
  }));
}

describe("operator commands", () => {
  it("pauses and resumes a lane", async () => {
    const paused = await runCli(["lane", "pause", "reports"], env());
    expect(paused.code).toBe(0);
    expect(parseLines(paused.stdout)).toEqual([{ lane: "reports", paused: true }]);
    const row = await db()
      .selectFrom("lane_states")
      .selectAll()
      .where("lane", "=", "reports")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ paused: true, changed_by: actor });
    expect((await runCli(["lane", "resume", "reports"], env())).code).toBe(0);
    for (const [action, outcome] of [
      ["lane.pause", "paused"],
      ["lane.resume", "resumed"],
    ] as const) {
      expect(await auditLog(action)).toEqual([
        { actor, action, target_ids: ["reports"], outcome, request_id: null },
      ]);
    }
  });

  it("refuses an unknown lane, naming it", async () => {
    const result = await runCli(["lane", "pause", "phones"], env());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("'phones' is invalid");
  });

  it("cancels a waiting execution and reports unknown or malformed ids", async () => {
    const task = defineTask({
      name: "send_report_email",
      lane: "email",
      payload: z.object({}),
      run: async () => null,
    });
    const id = await enqueue(db(), task, {}, { delayMs: 60_000 });
    const cancelled = await runCli(["cancel", id], env());
    expect(parseLines(cancelled.stdout)).toEqual([{ id, outcome: "cancelled" }]);
    expect((await execution(id)).status).toBe("cancelled");

    const unknown = await runCli(["cancel", "6f1c1d1e-0000-4000-8000-000000000000"], env());
    expect(unknown.code).toBe(1);
    expect(parseLines(unknown.stdout)[0].outcome).toBe("not_found");
    expect(await auditLog("execution.cancel")).toEqual([
      {
        actor,
        action: "execution.cancel",
        target_ids: [id],
        outcome: "cancelled",
        request_id: null,
      },
      {
        actor,
        action: "execution.cancel",
        target_ids: ["6f1c1d1e-0000-4000-8000-000000000000"],
        outcome: "not_found",
        request_id: null,
      },
    ]);

    const malformed = await runCli(["cancel", "12"], env());
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain("execution id: expected a UUID");
  });

  it("retries a cancelled execution, audited; refuses a live one, audited, changing nothing", async () => {
    const id = await enqueue(db(), systemHealthCheck, {}, { delayMs: 60_000 });
    expect((await runCli(["cancel", id], env())).code).toBe(0);
    const retried = await runCli(["retry", id], env());
    expect(retried.code).toBe(0);
    expect(parseLines(retried.stdout)).toEqual([{ id, outcome: "retried" }]);
    const live = await execution(id);
    expect(live.status).toBe("queued");

    const refused = await runCli(["retry", id], env());
    expect(refused.code).toBe(1);
    expect(parseLines(refused.stdout)).toEqual([{ id, outcome: "not_retryable" }]);
    expect(await execution(id)).toEqual(live);
    expect(await auditLog("execution.retry")).toEqual([
      { actor, action: "execution.retry", target_ids: [id], outcome: "retried", request_id: null },
      {
        actor,
        action: "execution.retry",
        target_ids: [id],
        outcome: "not_retryable",
        request_id: null,
      },
    ]);
  });

  it("purges a lane's waiting executions over several batches, with progress, audited", async () => {
    const exportTask = defineTask({
      name: "export_call_logs",
      lane: "exports",
      payload: z.object({ n: z.number() }),
      run: async () => null,
    });
    await enqueueMany(
      db(),
      Array.from({ length: 1_200 }, (_, n) => ({ task: exportTask, payload: { n } })),
    );
    const probe = defineTask({
      name: "purge_probe",
      lane: "maintenance",
      payload: z.object({}),
      run: async () => null,
    });
    const other = await enqueue(db(), probe, {}, { delayMs: 60_000 });

    const purged = await runCli(["purge", "--lane", "exports", "--yes"], env());
    expect(purged.code).toBe(0);
    expect(parseLines(purged.stdout)).toEqual([
      {
        lane: "exports",
        task: null,
        cancelled: 1_200,
        cancelRequested: 0,
        auditId: expect.any(Number),
      },
    ]);
    expect(purged.stderr).toContain("purge: 1000 of 1200\n");
    expect(purged.stderr).toContain("purge: 1200 of 1200\n");
    const { rows } = await sql<{ status: string; n: number }>`
      select status, count(*)::int as n from executions
      where task_name = 'export_call_logs' group by status`.execute(db());
    expect(rows).toEqual([{ status: "cancelled", n: 1_200 }]);
    expect((await execution(other)).status).toBe("scheduled");
    expect(await auditLog("execution.purge")).toEqual([
      { actor, action: "execution.purge", target_ids: [], outcome: "purged", request_id: null },
    ]);

    const byTask = await runCli(["purge", "--task", "purge_probe", "--yes"], env());
    expect(parseLines(byTask.stdout)[0]).toMatchObject({
      task: "purge_probe",
      cancelled: 1,
    });
    expect((await execution(other)).status).toBe("cancelled");
  });

  it("refuses a purge without a lane or task, with a bad one, or unconfirmed", async () => {
    const none = await runCli(["purge", "--yes"], env());
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain("give --lane <lane>, --task <name> or both");

    const badLane = await runCli(["purge", "--lane", "phones", "--yes"], env());
    expect(badLane.code).not.toBe(0);
    expect(badLane.stderr).toContain("'phones' is invalid");

    const badTask = await runCli(["purge", "--task", "", "--yes"], env());
    expect(badTask.code).not.toBe(0);
    expect(badTask.stderr).toContain("--task <name>");

    const unasked = await runCli(["purge", "--lane", "exports"], env());
    expect(unasked.code).not.toBe(0);
    expect(unasked.stderr).toContain("pass --yes");
  });

  it("lists dead executions", async () => {
    const listed = await runCli(["dead", "--limit", "5"], env());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe("");
    const bad = await runCli(["dead", "--limit", "zero"], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--limit: expected a positive number");
  });

  it("lists dead executions newest failure first, as the API does", async () => {
    // Created in one order, failed in the other.
    const ids: string[] = [];
    for (const failedAt of ["10:00:03", "10:00:01", "10:00:02"]) {
      const row = await db()
        .insertInto("executions")
        .values({
          task_name: "dead_letter_probe",
          lane: "maintenance",
          status: "dead",
          payload: "{}",
          priority: 0,
          max_attempts: 1,
          attempts: 1,
          finished_at: sql<Date>`${`2026-05-01T${failedAt}Z`}::timestamptz`,
        })
        .returning("public_id")
        .executeTakeFirstOrThrow();
      ids.push(row.public_id);
    }
    const newestFailureFirst = [ids[0], ids[2], ids[1]];
    const listed = await runCli(["dead", "--task", "dead_letter_probe"], env());
    expect(listed.code).toBe(0);
    const lines = parseLines(listed.stdout);
    expect(lines.map((line) => line.id)).toEqual(newestFailureFirst);
    expect(lines[0]).toMatchObject({ finishedAt: "2026-05-01T10:00:03.000Z", attempts: 1 });
    const response = await testApp().request(
      "/api/tasks/executions/failed/?task_name=dead_letter_probe",
      { headers: admin },
    );
    const { executions } = (await response.json()) as { executions: { task_id: string }[] };
    expect(executions.map((e) => e.task_id)).toEqual(newestFailureFirst);
  });
});
