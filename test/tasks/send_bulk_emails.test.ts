import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sendBulkEmails } from "../../src/email/bulkEmails.ts";
import { sendBulkEmailsPayload } from "../../src/email/payload.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import sendBulkEmailsTask from "../../tasks/send_bulk_emails.ts";
import sendEmail from "../../tasks/send_email.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { db, emptyQueue, startTestWorker, waitForStatus } from "../support/engine.ts";
import { startTestServices } from "../support/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let operate: Record<string, string>;
beforeAll(async () => {
  operate = await authHeaders("operate");
});
beforeEach(emptyQueue);

const execute = async (payload: unknown) => {
  const app = testApp(undefined, {
    registry: new TaskRegistry([sendEmail, sendBulkEmailsTask]),
  });
  const response = await app.request("/api/tasks/send_bulk_emails/execute/", {
    method: "POST",
    headers: operate,
    body: JSON.stringify({ payload }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const messages = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    to_email: `user${index}@example.com`,
    subject: `Newsletter ${index}`,
    body: "Content",
    ...(index === 0 ? { priority: "high" } : {}),
  }));

const children = (parentId: string) =>
  db()
    .selectFrom("executions")
    .select(["task_name", "payload", "priority", "status"])
    .where("parent_id", "=", parentId)
    .orderBy("id")
    .execute();

describe("send_bulk_emails", () => {
  it("fans out one send_email job per message, in batches, with progress", async () => {
    const { services } = await startTestServices();
    // Only the bulk task runs here: its send_email jobs stay queued for inspection.
    await startTestWorker([sendBulkEmailsTask], { services });
    const { status, body } = await execute({ emails: messages(5), batch_size: 2 });
    expect(status).toBe(202);
    const done = await waitForStatus(body.task_id, "succeeded");
    expect(done.result).toEqual({ total: 5, batches: 3, enqueued: 5 });
    expect(done.progress).toBe(100);
    expect(done.progress_message).toBe("5 of 5 messages enqueued");
    const jobs = await children(body.task_id);
    expect(jobs.map((job) => job.task_name)).toEqual(Array(5).fill("send_email"));
    expect(jobs.map((job) => (job.payload as Json).to_email)).toEqual(
      messages(5).map((message) => message.to_email),
    );
    expect(jobs.map((job) => job.status)).toEqual(Array(5).fill("queued"));
    // `high` runs before the rest of the email lane (priority 3).
    expect(jobs.map((job) => job.priority)).toEqual([4, 3, 3, 3, 3]);
  });

  it("enqueues nothing twice when a run is repeated", async () => {
    const executionId = randomUUID();
    const payload = sendBulkEmailsPayload.parse({ emails: messages(7), batch_size: 3 });
    const progress: number[] = [];
    const request = { executionId, progress: (percent: number) => progress.push(percent) };
    expect(await sendBulkEmails(db(), sendEmail, payload, request)).toEqual({
      total: 7,
      batches: 3,
      enqueued: 7,
    });
    expect(progress).toEqual([42, 85, 100]);
    expect(await sendBulkEmails(db(), sendEmail, payload, request)).toEqual({
      total: 7,
      batches: 3,
      enqueued: 0,
    });
    expect(await children(executionId)).toHaveLength(7);
  });

  it("refuses a bad message naming it and its field, and writes nothing", async () => {
    const emails: Json[] = messages(5);
    emails[3].to_email = "not an address";
    emails[4].subject = "";
    const { status, body } = await execute({ emails });
    expect(status).toBe(400);
    expect(body.error.details.map((detail: Json) => detail.path)).toEqual([
      "payload.emails.3.to_email",
      "payload.emails.4.subject",
    ]);
    expect(body.error.details[0].message).toMatch(/^emails\[3\]\.to_email: /);
    const bad = await execute({ emails: messages(2), batch_size: 0 });
    expect(bad.body.error.details[0].path).toBe("payload.batch_size");
    expect(await db().selectFrom("executions").select("id").execute()).toHaveLength(0);
  });
});
