import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { authHeaders, testApp } from "../../support/app.ts";
import { db, execution } from "../../support/engine.ts";
import { apiRegistry } from "../../support/fixtures/apiTasks.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let read: Record<string, string>;
let operate: Record<string, string>;
beforeAll(async () => {
  read = await authHeaders("read");
  operate = await authHeaders("operate");
});
const app = () => testApp(undefined, { registry: apiRegistry() });
const count = async () =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from executions`.execute(db())).rows[0]?.n,
  );

const execute = async (name: string, body: unknown, headers = operate) => {
  const response = await app().request(`/api/tasks/${name}/execute/`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

describe("tasks", () => {
  it("lists the registered tasks with lane and payload JSON schema", async () => {
    const response = await app().request("/api/tasks/", { headers: read });
    const body = (await response.json()) as Json;
    const recording = body.tasks.find((task: Json) => task.name === "process_call_recording");
    expect(recording).toMatchObject({ lane: "recordings", priority: 6, max_attempts: 3 });
    expect(recording.payload_schema.properties.call_id.type).toBe("integer");
  });

  it("executes a task by name: 202 with the task id, audited", async () => {
    const { status, body } = await execute("send_notification", {
      kwargs: { to: "+15551234567", body: "hi" },
      options: { delay_seconds: 60 },
    });
    expect(status).toBe(202);
    expect((await execution(body.task_id)).status).toBe("scheduled");
    const audit = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "task.execute")
      .execute();
    expect(audit.at(-1)?.target_ids).toEqual([body.task_id]);
  });

  it("refuses unknown tasks, bad payloads, bad JSON and scopes — writing nothing", async () => {
    const before = await count();
    const unknown = await execute("no_such_task", { payload: {} });
    expect(unknown.status).toBe(404);
    const bad = await execute("send_notification", { payload: { to: "555", body: "" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: Json) => d.path)).toEqual(["payload.to", "payload.body"]);
    const notJson = await execute("send_notification", "{not json");
    expect(notJson.status).toBe(400);
    const args = await execute("send_notification", {
      args: [1],
      payload: { to: "+15551234567", body: "x" },
    });
    expect(args.status).toBe(400);
    expect(JSON.stringify(args.body.error.details)).toContain("args");
    const readOnly = await execute(
      "send_notification",
      { payload: { to: "+15551234567", body: "x" } },
      read,
    );
    expect(readOnly.status).toBe(403);
    expect(await count()).toBe(before);
  });
});
