import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { testApp } from "../support/app.ts";
import { dashboardSession, type TestSession } from "../support/dashboard.ts";
import { db } from "../support/engine.ts";
import {
  apiRegistry,
  processCallRecording,
  sendNotification,
} from "../support/fixtures/apiTasks.ts";

const app = () => testApp(undefined, { registry: apiRegistry() });
let read: TestSession;
let operate: TestSession;

beforeAll(async () => {
  [read, operate] = await Promise.all([dashboardSession("read"), dashboardSession("operate")]);
});

const page = async (path: string, session = read) => {
  const response = await app().request(path, { headers: session.headers });
  return { status: response.status, text: await response.text() };
};

/** The execution ids of the page's rows, in order. */
const rowIds = (text: string) =>
  [...text.matchAll(/<tr data-execution-id="([^"]+)"/g)].map((match) => match[1]);

const later = (call_id: number, options: { correlationId?: string; parentId?: string } = {}) =>
  enqueue(db(), processCallRecording, { call_id }, { delayMs: 600_000, ...options });

async function markDead(publicId: string, message: string) {
  await db()
    .updateTable("executions")
    .set({
      status: "dead",
      attempts: 1,
      error_class: "Error",
      error_message: message,
      started_at: sql`now() - interval '2 seconds'`,
      finished_at: sql`now()`,
      job_id: null,
    })
    .where("public_id", "=", publicId)
    .execute();
}

describe("executions list", () => {
  it("shows the rows a filter matches, by correlation id, payload search, status and task", async () => {
    const tagged = await later(4101, { correlationId: "list-corr-1" });
    const other = await later(4102, { correlationId: "list-corr-2" });
    const sms = await enqueue(
      db(),
      sendNotification,
      { to: "+15550104101", body: "Your Callback Is Ready" },
      { delayMs: 600_000 },
    );
    await markDead(other, "boom 4102");

    const byCorrelation = await page("/dashboard/executions?correlation_id=list-corr-1");
    expect(byCorrelation.status).toBe(200);
    expect(rowIds(byCorrelation.text)).toEqual([tagged]);

    const byText = await page("/dashboard/executions?payload=callback+is+READY");
    expect(rowIds(byText.text)).toEqual([sms]);
    // Without a time range, a payload search is bounded to the last day, and says so.
    expect(byText.text).toMatch(/Searching since <time/);

    const byJson = await page(
      `/dashboard/executions?payload=${encodeURIComponent('{"call_id": 4102}')}`,
    );
    expect(rowIds(byJson.text)).toEqual([other]);

    const dead = await page("/dashboard/executions?status=dead&task_name=process_call_recording");
    expect(rowIds(dead.text)).toEqual([other]);
    expect(dead.text).toContain("boom 4102");
    expect(dead.text).toMatch(
      new RegExp(`data-execution-id="${other}"[\\s\\S]*?data-field="status">dead<`),
    );
  });

  it("pages older rows with a keyset cursor", async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push(await later(5000 + i, { correlationId: "paging" }));
    const first = await page(`/dashboard/executions?correlation_id=paging&created_after=${since}`);
    expect(rowIds(first.text)).toEqual(ids.slice(5).reverse());
    const older = /href="(\/dashboard\/executions\?[^"]*cursor=[^"]+)" rel="next"/.exec(first.text);
    expect(older).not.toBeNull();
    const second = await page((older?.[1] ?? "").replaceAll("&amp;", "&"));
    expect(rowIds(second.text)).toEqual(ids.slice(0, 5).reverse());
    expect(second.text).not.toContain('rel="next"');
  });

  it("shows action buttons and checkboxes to operate, none to read", async () => {
    await later(6001, { correlationId: "buttons" });
    const asRead = await page("/dashboard/executions?correlation_id=buttons", read);
    expect(rowIds(asRead.text)).toHaveLength(1);
    expect(asRead.text).not.toMatch(/<button[^>]*data-bulk/);
    expect(asRead.text).not.toContain('type="checkbox"');
    const asOperate = await page("/dashboard/executions?correlation_id=buttons", operate);
    expect(asOperate.text).toMatch(/<button[^>]*data-bulk="cancel" data-target="matching"/);
    expect(asOperate.text).toMatch(/<button[^>]*data-bulk="retry" data-target="selected"/);
    expect(asOperate.text).toContain("data-select-all");
    expect(asOperate.text).toMatch(/<input type="checkbox" data-select value="/);
  });

  it("answers invalid filters with 400 naming the field", async () => {
    for (const [query, field] of [
      ["status=exploded", "status"],
      ["created_after=yesterday", "created_after"],
      ["lane=phones", "lane"],
      ["cursor=garbage", "cursor"],
      ["colour=red", "colour"],
    ]) {
      const { status, text } = await page(`/dashboard/executions?${query}`);
      expect(status, query).toBe(400);
      expect(text, query).toContain(`<strong>${field}</strong>`);
    }
  });
});

describe("dead letter", () => {
  it("lists dead executions only, with retry for operate", async () => {
    const dead = await later(7001, { correlationId: "dead-letter" });
    await later(7002, { correlationId: "dead-letter" });
    await markDead(dead, "gave up");
    const asOperate = await page("/dashboard/dead-letter?correlation_id=dead-letter", operate);
    expect(asOperate.status).toBe(200);
    expect(rowIds(asOperate.text)).toEqual([dead]);
    expect(asOperate.text).toMatch(/data-bulk="retry" data-target="matching"/);
    expect(asOperate.text).not.toMatch(/data-bulk="cancel"/);
    const asRead = await page("/dashboard/dead-letter?correlation_id=dead-letter", read);
    expect(asRead.text).not.toMatch(/<button[^>]*data-bulk/);
  });
});

describe("execution page", () => {
  it("shows facts, attempts, children, the payload and the error", async () => {
    const parent = await later(8001, { correlationId: "family" });
    const children = [
      await later(8002, { parentId: parent }),
      await later(8003, { parentId: parent }),
    ];
    await markDead(parent, "no recording found");
    const { id } = await db()
      .selectFrom("executions")
      .select("id")
      .where("public_id", "=", parent)
      .executeTakeFirstOrThrow();
    await db()
      .insertInto("execution_attempts")
      .values({
        execution_id: id,
        attempt: 1,
        worker_id: "worker-a",
        started_at: new Date(Date.now() - 2000),
        finished_at: new Date(Date.now() - 500),
        outcome: "failed",
        error_class: "Error",
        error_message: "no recording found",
      })
      .execute();

    const { status, text } = await page(`/dashboard/executions/${parent}`, operate);
    expect(status).toBe(200);
    expect(text).toContain("process_call_recording");
    expect(text).toMatch(/data-field="status">dead</);
    expect(text).toMatch(
      /<tr data-attempt="1">[\s\S]*?worker-a[\s\S]*?1\.5 s[\s\S]*?no recording found/,
    );
    expect([...text.matchAll(/data-child-id="([^"]+)"/g)].map((m) => m[1])).toEqual(children);
    expect(text).toContain("&quot;call_id&quot;: 8001");
    expect(text).toContain("family");
    expect(text).toMatch(/<button[^>]*data-action="retry"[^>]*>Retry</);
    expect(text).toMatch(/<progress max="100"/);

    const child = await page(`/dashboard/executions/${children[0]}`, read);
    expect(child.text).toContain(`href="/dashboard/executions/${parent}"`);
    expect(child.text).not.toContain('<button type="button" data-action');
  });

  it("shows the payload with secrets redacted as the ledger holds them", async () => {
    const withSecret = defineTask({
      name: "dashboard_secret_payload",
      lane: "notifications",
      payload: z.object({ to: z.string(), api_key: z.string() }),
      secretFields: ["api_key"],
      run: async () => "sent",
    });
    const id = await enqueue(
      db(),
      withSecret,
      { to: "+15550108888", api_key: "sk-live-do-not-show" },
      { delayMs: 600_000 },
    );
    const { text } = await page(`/dashboard/executions/${id}`);
    expect(text).toContain("&quot;to&quot;: &quot;+15550108888&quot;");
    expect(text).toContain("&quot;api_key&quot;: &quot;[redacted]&quot;");
    expect(text).not.toContain("sk-live-do-not-show");
  });

  it("404 for an unknown id, 400 for a malformed one", async () => {
    const unknown = await page("/dashboard/executions/4a0f0f0f-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain("No execution 4a0f0f0f-0000-4000-8000-000000000000");
    const malformed = await page("/dashboard/executions/not-a-uuid");
    expect(malformed.status).toBe(400);
    expect(malformed.text).toContain("<strong>id</strong>");
  });
});
