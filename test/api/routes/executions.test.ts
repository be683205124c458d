import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { ErrorBody } from "../../../src/api/errors.ts";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { db, execution, startTestWorker, waitForStatus } from "../../support/engine.ts";
import {
  apiRegistry,
  failsForGood,
  processCallRecording,
} from "../../support/fixtures/apiTasks.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
const app = () => testApp(undefined, { registry: apiRegistry() });
let read: Record<string, string>;
let operate: Record<string, string>;

beforeAll(async () => {
  read = await authHeaders("read");
  operate = await authHeaders("operate");
});

const get = async (path: string, headers = read) => {
  const response = await app().request(path, { headers });
  return { status: response.status, body: (await response.json()) as Json };
};
const post = async (path: string, body: unknown = undefined, headers = operate) => {
  const response = await app().request(path, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

describe("task status", () => {
  it("GET /api/tasks/status/{task_id}/ gives status, progress, attempts and timings", async () => {
    const id = await enqueue(db(), processCallRecording, { call_id: 7 });
    const { status, body } = await get(`/api/tasks/status/${id}/`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      task_id: id,
      task_name: "process_call_recording",
      status: "queued",
      celery_status: "PENDING",
      attempts: 0,
      payload: { call_id: 7 },
    });
  });

  it("400 naming the field for a filter PostgreSQL cannot compare", async () => {
    const nul = await get("/api/tasks/executions/?task_name=%00");
    expect(nul.status).toBe(400);
    expect((nul.body as ErrorBody).error.details[0]?.path).toBe("task_name");
  });

  it("404 for an unknown id, 400 naming the field for a malformed one", async () => {
    const unknown = await get("/api/tasks/status/4a0f0f0f-0000-4000-8000-000000000000/");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
    const malformed = await get("/api/tasks/status/not-a-uuid/");
    expect(malformed.status).toBe(400);
    expect((malformed.body as ErrorBody).error.details[0]?.path).toBe("task_id");
  });

  it("401 without a token", async () => {
    const response = await app().request("/api/tasks/status/4a0f0f0f-0000-4000-8000-000000000000/");
    expect(response.status).toBe(401);
  });
});

describe("execution lists", () => {
  it("filters by status (ledger or Celery names), task and lane, and pages by cursor", async () => {
    const since = encodeURIComponent(new Date(Date.now() - 1).toISOString());
    const ids = [];
    for (let call = 1; call <= 5; call++)
      ids.push(await enqueue(db(), processCallRecording, { call_id: call }));
    const first = await get(
      `/api/tasks/executions/?status=pending&task_name=process_call_recording&lane=recordings&limit=2&created_after=${since}`,
    );
    expect(first.status).toBe(200);
    expect(first.body.executions.map((e: Json) => e.task_id)).toEqual([ids[4], ids[3]]);
    const second = await get(
      `/api/tasks/executions/?status=queued&task_name=process_call_recording&limit=2&created_after=${since}&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.executions.map((e: Json) => e.task_id)).toEqual([ids[2], ids[1]]);
    const third = await get(
      `/api/tasks/executions/?status=queued&task_name=process_call_recording&limit=2&created_after=${since}&cursor=${second.body.next_cursor}`,
    );
    expect(third.body.executions.map((e: Json) => e.task_id)).toEqual([ids[0]]);
    expect(third.body.next_cursor).toBeNull();
  });

  it("filters by correlation id and searches payloads (JSON containment or text)", async () => {
    const since = encodeURIComponent(new Date(Date.now() - 1).toISOString());
    const tagged = await enqueue(
      db(),
      processCallRecording,
      { call_id: 71 },
      { correlationId: "campaign-71" },
    );
    const other = await enqueue(
      db(),
      processCallRecording,
      { call_id: 7100 },
      { correlationId: "campaign-72" },
    );
    const list = async (query: string) =>
      (await get(`/api/tasks/executions/?created_after=${since}&${query}`)).body.executions.map(
        (e: Json) => e.task_id,
      );
    expect(await list("correlation_id=campaign-71")).toEqual([tagged]);
    expect(await list(`payload=${encodeURIComponent('{"call_id": 71}')}`)).toEqual([tagged]);
    expect(await list("payload=7100")).toEqual([other]);
    expect(await list("payload=CALL_ID")).toEqual([other, tagged]);
    // LIKE's wildcards are searched for as text.
    expect(await list("payload=%25")).toEqual([]);
    const bad = await get("/api/tasks/executions/?payload=");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain("payload");
  });

  it("lists summaries: each execution as the status route gives it, without payload or result", async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const queued = await enqueue(db(), processCallRecording, { call_id: 41 });
    const finished = await enqueue(db(), processCallRecording, { call_id: 42 });
    // Microseconds the API does not show: timestamps are cut to milliseconds, as in JavaScript.
    await sql`update executions set status = 'dead', attempts = 1,
                started_at = '2026-03-01T10:00:00.123999Z', finished_at = '2026-03-01T10:00:02.050001Z',
                error_class = 'TwilioRestException', error_message = 'Too many requests',
                error_stack = 'at dial()', result = '{"ok": false}', cancel_requested_at = now()
              where public_id = ${finished}`.execute(db());
    const { status, body } = await get(
      `/api/tasks/executions/?task_name=process_call_recording&created_after=${encodeURIComponent(since)}`,
    );
    expect(status).toBe(200);
    expect(body.executions.map((e: Json) => e.task_id)).toEqual([finished, queued]);
    for (const summary of body.executions) {
      expect(summary).not.toHaveProperty("payload");
      expect(summary).not.toHaveProperty("result");
      const { payload, result, ...whole } = (await get(`/api/tasks/status/${summary.task_id}/`))
        .body;
      expect(payload).toEqual({ call_id: summary.task_id === queued ? 41 : 42 });
      expect(summary).toEqual(whole);
    }
    expect(body.executions[0]).toMatchObject({
      status: "dead",
      celery_status: "FAILURE",
      started_at: "2026-03-01T10:00:00.123Z",
      finished_at: "2026-03-01T10:00:02.050Z",
      duration_seconds: 1.927,
      error: { class: "TwilioRestException", message: "Too many requests" },
      cancel_requested: true,
    });
    expect(body.executions[1]).toMatchObject({
      status: "queued",
      started_at: null,
      finished_at: null,
      duration_seconds: null,
      error: null,
      cancel_requested: false,
    });
    expect(body.executions[1].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("pages several statuses in order of microseconds within one millisecond", async () => {
    const at = (micros: number) => `2026-04-01T08:00:00.123${String(micros).padStart(3, "0")}Z`;
    const rows = [
      { status: "dead", micros: 900 },
      { status: "cancelled", micros: 700 },
      { status: "dead", micros: 500 },
      { status: "cancelled", micros: 300 },
      { status: "dead", micros: 100 },
    ] as const;
    const ids: string[] = [];
    for (const row of rows) {
      const inserted = await db()
        .insertInto("executions")
        .values({
          task_name: "send_notification",
          lane: "notifications",
          status: row.status,
          payload: "{}",
          priority: 0,
          max_attempts: 1,
          created_at: sql<Date>`${at(row.micros)}::timestamptz`,
        })
        .returning("public_id")
        .executeTakeFirstOrThrow();
      ids.push(inserted.public_id);
    }
    const window = `created_after=${encodeURIComponent("2026-04-01T08:00:00Z")}&created_before=${encodeURIComponent("2026-04-01T08:00:01Z")}`;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/tasks/executions/?status=dead,cancelled&limit=2&${window}${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await get(query);
      expect(page.status).toBe(200);
      for (const e of page.body.executions) {
        expect(e.created_at).toBe("2026-04-01T08:00:00.123Z");
        seen.push(e.task_id);
      }
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("refuses unknown filters, unknown statuses, bad limits and cursors with 400", async () => {
    for (const [query, field] of [
      ["colour=red", "colour"],
      ["status=exploded", "status"],
      ["limit=0", "limit"],
      ["lane=phones", "lane"],
      ["created_after=yesterday", "created_after"],
      ["cursor=garbage", "cursor"],
    ]) {
      const { status, body } = await get(`/api/tasks/executions/?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.code).toBe("validation_failed");
      expect(JSON.stringify(body.error.details) + body.error.message, query).toContain(
        field as string,
      );
    }
  });

  it("lists active and failed (dead-letter) executions, and one with its attempts", async () => {
    await startTestWorker(apiRegistry().all());
    const dead = await enqueue(db(), failsForGood, {});
    await waitForStatus(dead, "dead");
    const failed = await get("/api/tasks/executions/failed/");
    expect(failed.body.executions.map((e: Json) => e.task_id)).toContain(dead);
    expect(failed.body.executions.every((e: Json) => e.status === "dead")).toBe(true);
    const active = await get("/api/tasks/executions/active/");
    expect(
      active.body.executions.every((e: Json) =>
        ["queued", "scheduled", "running", "retrying"].includes(e.status),
      ),
    ).toBe(true);
    const one = await get(`/api/tasks/executions/${dead}/`);
    expect(one.body).toMatchObject({
      status: "dead",
      celery_status: "FAILURE",
      error: { class: "PermanentError", message: "no such call" },
    });
    expect(one.body.attempts_history).toHaveLength(1);
  });
});

describe("retry and cancel", () => {
  it("retries a dead execution and audits it; a queued one is a 409", async () => {
    await startTestWorker(apiRegistry().all());
    const dead = await enqueue(db(), failsForGood, {});
    await waitForStatus(dead, "dead");
    const retried = await post(`/api/tasks/executions/${dead}/retry/`);
    expect(retried.status).toBe(200);
    expect(retried.body.outcome).toBe("retried");
    const audit = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "execution.retry")
      .execute();
    expect(audit.map((row) => row.target_ids)).toContainEqual([dead]);

    const queued = await enqueue(db(), processCallRecording, { call_id: 1 }, { delayMs: 60_000 });
    const before = await execution(queued);
    const conflict = await post(`/api/tasks/executions/${queued}/retry/`);
    expect(conflict.status).toBe(409);
    expect(await execution(queued)).toEqual(before);
    const refused = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "execution.retry")
      .where(sql<boolean>`target_ids = array[${queued}]::text[]`)
      .execute();
    expect(refused).toMatchObject([{ outcome: "not_retryable", actor: expect.any(String) }]);
    expect(refused[0]?.request_id).toBeTruthy();
  });

  it("cancels a queued execution; needs the operate scope", async () => {
    const id = await enqueue(db(), processCallRecording, { call_id: 2 }, { delayMs: 60_000 });
    const forbidden = await post(`/api/tasks/executions/${id}/cancel/`, undefined, read);
    expect(forbidden.status).toBe(403);
    expect((await execution(id)).status).toBe("scheduled");
    const cancelled = await post(`/api/tasks/executions/${id}/cancel/`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      outcome: "cancelled",
      execution: { status: "cancelled" },
    });
    const again = await post(`/api/tasks/executions/${id}/cancel/`);
    expect(again.status).toBe(409);
    const missing = await post(
      "/api/tasks/executions/4a0f0f0f-0000-4000-8000-000000000000/cancel/",
    );
    expect(missing.status).toBe(404);
    const audit = await db()
      .selectFrom("audit_log")
      .select(["target_ids", "outcome"])
      .where("action", "=", "execution.cancel")
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { target_ids: [id], outcome: "cancelled" },
      { target_ids: [id], outcome: "already_finished" },
      { target_ids: ["4a0f0f0f-0000-4000-8000-000000000000"], outcome: "not_found" },
    ]);
  });
});
