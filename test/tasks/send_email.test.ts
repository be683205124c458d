import { createServer } from "node:net";
import { sql } from "kysely";
import { simpleParser } from "mailparser";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { SMTP_CIRCUIT_BREAKER } from "../../src/email/sendEmail.ts";
import { createSmtpTransport } from "../../src/email/transport.ts";
import { circuitBreakerGet } from "../../src/engine/limits/circuitBreaker.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { parseRateLimit } from "../../src/shared/rateLimitSpec.ts";
import sendEmail from "../../tasks/send_email.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";
import { startTestServices } from "../support/services.ts";
import { startTestSmtpServer } from "../support/smtpServer.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let operate: Record<string, string>;
beforeAll(async () => {
  operate = await authHeaders("operate");
});
beforeEach(async () => {
  await sql`delete from circuit_breakers`.execute(db());
});

const execute = async (payload: unknown, options: Record<string, unknown> = {}) => {
  const app = testApp(undefined, { registry: new TaskRegistry([sendEmail]) });
  const response = await app.request("/api/tasks/send_email/execute/", {
    method: "POST",
    headers: operate,
    body: JSON.stringify({ payload, options }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

/** The test's services with SMTP pointed at `url`. */
async function servicesSendingTo(
  url: string,
  email: Partial<CallCenterServices["email"]> = {},
): Promise<CallCenterServices> {
  const { services } = await startTestServices();
  return {
    ...services,
    email: {
      ...services.email,
      transport: createSmtpTransport(url, { timeoutMs: 3_000 }),
      sink: false,
      ...email,
    },
  };
}

const csv = Buffer.from("call_queue,calls\nsupport,12\n").toString("base64");

describe("send_email", () => {
  it("sends subject, bodies, attachments and priority; the result records the reply", async () => {
    const smtp = await startTestSmtpServer();
    await startTestWorker([sendEmail], { services: await servicesSendingTo(smtp.url) });
    const { status, body } = await execute({
      to_email: ["jane.doe@example.com", "Ops <ops@example.org>"],
      subject: "Daily figures ✓",
      body: "Plain text body",
      html: "<p>HTML <b>body</b></p>",
      attachments: [{ filename: "figures.csv", content: csv, content_type: "text/csv" }],
      priority: "high",
    });
    expect(status).toBe(202);
    const done = await waitForStatus(body.task_id, "succeeded");
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail?.envelopeTo).toEqual(["jane.doe@example.com", "ops@example.org"]);
    const parsed = mail?.parsed;
    expect(parsed?.subject).toBe("Daily figures ✓");
    expect(parsed?.text?.trim()).toBe("Plain text body");
    expect(parsed?.html).toContain("<b>body</b>");
    expect(parsed?.from?.value).toEqual([
      { name: "Switchboard", address: "noreply@switchboard.test" },
    ]);
    expect(parsed?.messageId).toBe(`<${body.task_id}@switchboard.test>`);
    expect(mail?.raw.toString()).toMatch(/^X-Priority: 1 \(Highest\)\r$/m);
    expect(parsed?.attachments.map((file) => [file.filename, file.contentType])).toEqual([
      ["figures.csv", "text/csv"],
    ]);
    expect(parsed?.attachments[0]?.content.toString()).toBe("call_queue,calls\nsupport,12\n");
    const result = done.result as Json;
    expect(result.message_id).toBe(`<${body.task_id}@switchboard.test>`);
    expect(result.response).toMatch(/^250 .*queued as test-1/);
    expect(result.accepted).toEqual(["j***@example.com", "o***@example.org"]);
    expect(result.rejected).toEqual([]);
    expect(result.delivered_to).toBe("smtp");
    expect(done.lane).toBe("email");
    // `high` runs before the rest of the email lane (priority 3), enqueued by name too.
    expect(done.priority).toBe(4);
  });

  it("retries a 421 with the same Message-ID, and succeeds", async () => {
    const smtp = await startTestSmtpServer({
      reply: (n) => (n === 1 ? { code: 421, message: "4.3.2 Try again later" } : undefined),
    });
    await startTestWorker([sendEmail], { services: await servicesSendingTo(smtp.url) });
    const { body } = await execute({ to_email: "a@example.com", subject: "Hi", body: "Hello" });
    const done = await waitForStatus(body.task_id, "succeeded");
    expect(done.attempts).toBe(2);
    expect(smtp.offered).toHaveLength(2);
    expect(smtp.offered.map((mail) => mail.messageId)).toEqual([
      `<${body.task_id}@switchboard.test>`,
      `<${body.task_id}@switchboard.test>`,
    ]);
    const attempts = await db()
      .selectFrom("execution_attempts")
      .innerJoin("executions", "executions.id", "execution_attempts.execution_id")
      .select(["execution_attempts.outcome", "execution_attempts.error_message"])
      .where("executions.public_id", "=", body.task_id)
      .orderBy("execution_attempts.attempt")
      .execute();
    expect(attempts[0]?.outcome).toBe("failed");
    expect(attempts[0]?.error_message).toContain("421");
  });

  it("ends dead at once on a 550, with the server's reply", async () => {
    const smtp = await startTestSmtpServer({
      reply: () => ({ code: 550, message: "5.7.1 Message to <a@example.com> refused by policy" }),
    });
    await startTestWorker([sendEmail], { services: await servicesSendingTo(smtp.url) });
    const { body } = await execute({ to_email: "a@example.com", subject: "Hi", body: "Hello" });
    const dead = await waitForStatus(body.task_id, "dead");
    expect(dead.attempts).toBe(1);
    expect(dead.error_class).toBe("PermanentError");
    // The reply is kept, with the recipient masked as in logs.
    expect(dead.error_message).toContain(
      "550 5.7.1 Message to <a***@example.com> refused by policy",
    );
    expect(smtp.offered).toHaveLength(1);
    // One message refused says nothing about the server's health.
    expect((await circuitBreakerGet(db(), SMTP_CIRCUIT_BREAKER)).failures).toBe(0);
  });

  it("counts a refused connection against the smtp breaker, which opens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    await startTestWorker([sendEmail], {
      services: await servicesSendingTo(`smtp://127.0.0.1:${port}`, {
        circuitBreaker: { failureThreshold: 2 },
      }),
    });
    const send = () =>
      execute({ to_email: "a@example.com", subject: "Hi", body: "Hello" }, { max_attempts: 1 });
    const first = await waitForStatus((await send()).body.task_id, "dead");
    expect(first.error_message).toMatch(/ECONNREFUSED|connect/i);
    expect((await circuitBreakerGet(db(), SMTP_CIRCUIT_BREAKER)).state).toBe("closed");
    await waitForStatus((await send()).body.task_id, "dead");
    expect((await circuitBreakerGet(db(), SMTP_CIRCUIT_BREAKER)).state).toBe("open");
    const third = await waitForStatus((await send()).body.task_id, "dead");
    expect(third.error_class).toBe("CircuitOpenError");
  });

  it("delivers to the local mail sink, which keeps the message as .eml", async () => {
    const { services, mailDir } = await startTestServices();
    await startTestWorker([sendEmail], { services });
    const { body } = await execute({ to_email: "a@example.com", subject: "Kept", body: "Here" });
    const done = await waitForStatus(body.task_id, "succeeded");
    expect((done.result as Json).delivered_to).toBe("sink");
    const { readdir, readFile } = await import("node:fs/promises");
    const files = (await readdir(mailDir)).filter((name) => name.endsWith(".eml"));
    expect(files).toHaveLength(1);
    const parsed = await simpleParser(await readFile(`${mailDir}/${files[0]}`));
    expect(parsed.subject).toBe("Kept");
    expect(parsed.messageId).toBe(`<${body.task_id}@switchboard.test>`);
  });

  it("holds SMTP_RATE_LIMIT across messages: one over the limit waits without an attempt", async () => {
    await sql`delete from rate_limits where key = 'smtp.messages'`.execute(db());
    const smtp = await startTestSmtpServer();
    await startTestWorker([sendEmail], {
      services: await servicesSendingTo(smtp.url, { rateLimit: parseRateLimit("1/h") }),
    });
    const first = await execute({ to_email: "a@example.com", subject: "1", body: "b" });
    await waitForStatus(first.body.task_id, "succeeded");
    const second = await execute({ to_email: "a@example.com", subject: "2", body: "b" });
    const waiting = await waitFor(async () => {
      const row = await db()
        .selectFrom("execution_attempts")
        .innerJoin("executions", "executions.id", "execution_attempts.execution_id")
        .select(["execution_attempts.outcome", "executions.run_at", "executions.attempts"])
        .where("executions.public_id", "=", second.body.task_id)
        .executeTakeFirst();
      return row?.outcome === "snoozed" ? row : undefined;
    });
    expect(new Date(waiting.run_at).getTime()).toBeGreaterThan(Date.now() + 60 * 60_000 - 120_000);
    expect(smtp.received.map((mail) => mail.parsed.subject)).toEqual(["1"]);
    await sql`delete from rate_limits where key = 'smtp.messages'`.execute(db());
  });

  it("refuses bad input naming the field, and writes nothing", async () => {
    const count = async () => (await db().selectFrom("executions").select("id").execute()).length;
    const before = await count();
    const cases: [unknown, string][] = [
      [{ to_email: "not-an-address", subject: "s", body: "b" }, "payload.to_email"],
      [{ to_email: ["a@example.com", "bad@"], subject: "s", body: "b" }, "payload.to_email.1"],
      [
        { to_email: "a@example.com", subject: "a\r\nBcc: x@example.com", body: "b" },
        "payload.subject",
      ],
      [
        { to_email: "a@example.com", subject: "s", body: "b", priority: "urgent" },
        "payload.priority",
      ],
      [
        { to_email: "a@example.com", subject: "s", body: "b", attachments: [{ filename: "x" }] },
        "payload.attachments.0.content",
      ],
      [{ to_email: "a@example.com", subject: "s", body: "b", cc: "c@example.com" }, "payload"],
    ];
    for (const [payload, path] of cases) {
      const { status, body } = await execute(payload);
      expect(status, JSON.stringify(payload)).toBe(400);
      expect(body.error.details.map((detail: Json) => detail.path)).toContain(path);
    }
    const tooMany = Array.from({ length: 51 }, (_, i) => `user${i}@example.com`);
    const { status, body } = await execute({ to_email: tooMany, subject: "s", body: "b" });
    expect(status).toBe(400);
    expect(body.error.details[0].message).toMatch(/1 to 50 addresses/);
    expect(await count()).toBe(before);
  });
});
