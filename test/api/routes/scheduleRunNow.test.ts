import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseCrontabEntries } from "../../../src/engine/crontab.ts";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { dashboardSession } from "../../support/dashboard.ts";
import { testDb } from "../../support/database.ts";

const digest = defineTask({
  name: "nightly_digest",
  lane: "reports",
  payload: z.object({ kind: z.string(), day: z.string() }),
  scheduledPayload: (payload, scheduledAt) => ({
    ...payload,
    day: scheduledAt.toISOString().slice(0, 10),
  }),
  run: async () => null,
});
const registry = new TaskRegistry([digest]);
const entries = parseCrontabEntries('0 2 * * * nightly_digest {kind:"full"}\n', {});
const app = () => testApp(undefined, { registry, schedule: entries });

async function executionsOf(taskName: string) {
  return testDb()
    .db.selectFrom("executions")
    .select(["public_id", "lane", "status", "payload", "correlation_id"])
    .where("task_name", "=", taskName)
    .execute();
}

describe("POST /api/schedule/{task_name}/run", () => {
  it("enqueues the entry's task now with a crontab run's payload, audited", async () => {
    const headers = await authHeaders("operate");
    const today = new Date().toISOString().slice(0, 10);
    const response = await app().request("/api/schedule/nightly_digest/run", {
      method: "POST",
      headers,
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as {
      task_id: string;
      task_name: string;
      status_url: string;
    };
    expect(body).toEqual({
      task_id: expect.any(String),
      task_name: "nightly_digest",
      status_url: `/api/tasks/status/${body.task_id}/`,
    });
    const [execution] = await executionsOf("nightly_digest");
    expect(execution).toMatchObject({
      public_id: body.task_id,
      lane: "reports",
      status: "queued",
      payload: { kind: "full", day: today },
    });
    const audit = await testDb()
      .db.selectFrom("audit_log")
      .select(["actor", "action", "target_ids", "details", "outcome"])
      .where("action", "=", "schedule.run_now")
      .execute();
    expect(audit).toEqual([
      {
        actor: expect.stringMatching(/^test-/),
        action: "schedule.run_now",
        target_ids: [body.task_id],
        details: { task_name: "nightly_digest", identifier: "nightly_digest" },
        outcome: "enqueued",
      },
    ]);
  });

  it("answers 404 naming a task no entry has, and 403 to a read token", async () => {
    const missing = await app().request("/api/schedule/no_such_task/run", {
      method: "POST",
      headers: await authHeaders("operate"),
    });
    expect(missing.status).toBe(404);
    const error = ((await missing.json()) as { error: { message: string } }).error;
    expect(error.message).toContain("no_such_task");
    const refused = await app().request("/api/schedule/nightly_digest/run", {
      method: "POST",
      headers: await authHeaders("read"),
    });
    expect(refused.status).toBe(403);
    expect(await executionsOf("no_such_task")).toEqual([]);
    expect(await executionsOf("nightly_digest")).toHaveLength(1);
  });

  it("takes a dashboard session with its CSRF token, audited with the user", async () => {
    const session = await dashboardSession("operate");
    const response = await app().request("/api/schedule/nightly_digest/run", {
      method: "POST",
      headers: session.apiHeaders,
    });
    expect(response.status).toBe(202);
    const { task_id } = (await response.json()) as { task_id: string };
    const row = await testDb()
      .db.selectFrom("audit_log")
      .select("actor")
      .where("action", "=", "schedule.run_now")
      .where(sql<boolean>`${task_id} = any(target_ids)`)
      .executeTakeFirstOrThrow();
    expect(row.actor).toBe(`user:${session.username}`);
    const withoutToken = await app().request("/api/schedule/nightly_digest/run", {
      method: "POST",
      headers: session.headers,
    });
    expect(withoutToken.status).toBe(403);
  });
});
