import { sql } from "kysely";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import type { NotificationResult } from "../../src/notifications/sendNotification.ts";
import type { TwilioSimulator } from "../../src/twilio/simulator/simulator.ts";
import sendNotification from "../../tasks/send_notification.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { db, startTestWorker, waitForStatus } from "../support/engine.ts";
import { startTestServices } from "../support/services.ts";

const CREATE = { method: "POST", path: "/Messages\\.json$" };
let services: CallCenterServices;
let simulator: TwilioSimulator;
let operate: Record<string, string>;
let reachable: number;
let emailOnly: number;

beforeAll(async () => {
  ({ services, simulator } = await startTestServices());
  operate = await authHeaders("operate");
  const agents = await db()
    .insertInto("agents")
    .values([
      { name: "Ada", email: "ada@example.com", phone_number: "+15552220001" },
      { name: "Bob", email: "bob@example.com", phone_number: null },
    ])
    .returning("id")
    .execute();
  [reachable, emailOnly] = agents.map((agent) => agent.id) as [number, number];
});

beforeEach(async () => {
  simulator.reset();
  await startTestWorker([sendNotification], { services });
});

const sendEmailJobs = (parentId: string) =>
  db()
    .selectFrom("executions")
    .select(["task_name", "lane", "status", "payload", "job_id"])
    .where("parent_id", "=", parentId)
    .execute();

async function notify(payload: Record<string, unknown>) {
  const id = await enqueue(db(), sendNotification, payload);
  const row = await waitForStatus(id, ["succeeded", "dead"]);
  return { id, row, result: row.result as NotificationResult };
}

describe("send_notification", () => {
  it("notifies an agent by email and SMS: send_email enqueued with the mail, the SMS sent once", async () => {
    const { id, row, result } = await notify({
      agent_id: reachable,
      notification_type: "shift",
      title: "Shift change",
      message: "Your shift starts at 9.",
      channels: ["email", "sms"],
    });
    expect(row.status).toBe("succeeded");
    expect(result.agent_id).toBe(reachable);
    const [email, sms] = result.channels;
    expect(email).toMatchObject({ channel: "email", outcome: "enqueued" });
    expect(sms).toMatchObject({ channel: "sms", outcome: "sent" });

    const jobs = await sendEmailJobs(id);
    expect(jobs).toEqual([
      {
        task_name: "send_email",
        lane: "email",
        status: "queued",
        payload: {
          to_email: ["ada@example.com"],
          subject: "Shift change",
          body: "Your shift starts at 9.",
        },
        job_id: expect.any(Number),
      },
    ]);
    const { rows } = await sql<{ task_identifier: string }>`
      select task_identifier from graphile_worker.jobs where id = ${jobs[0]?.job_id}`.execute(db());
    expect(rows).toEqual([{ task_identifier: "send_email" }]);

    expect(simulator.eventLog().messages).toEqual([
      expect.objectContaining({
        sid: sms?.sid,
        to: "+15552220001",
        from: services.twilio.phoneNumber,
        body: "Shift change\nYour shift starts at 9.",
      }),
    ]);
  });

  it("sends the SMS and enqueues the mail once when the job is retried after a lost answer", async () => {
    simulator.injectFault({ kind: "error_after_create", match: CREATE });
    const { id, row, result } = await notify({
      user_id: String(reachable),
      notification_type: "alert",
      title: "Queue busy",
      message: "Sales has 12 callers waiting.",
      channels: ["email", "sms"],
    });
    expect(row).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(result.channels.map((channel) => channel.outcome)).toEqual([
      "already_enqueued",
      "adopted",
    ]);
    const sent = simulator.eventLog().messages;
    expect(sent).toHaveLength(1);
    expect(result.channels[1]?.sid).toBe(sent[0]?.sid);
    const jobs = await sendEmailJobs(id);
    expect(jobs).toHaveLength(1);
    expect(result.channels[0]?.execution_id).toEqual(expect.any(String));
  });

  it("skips a channel the agent has no address for, saying why", async () => {
    const { row, result } = await notify({
      agent_id: emailOnly,
      notification_type: "info",
      title: "Hello",
      message: "Welcome aboard",
      channels: ["sms", "email"],
    });
    expect(row.status).toBe("succeeded");
    expect(result.channels).toEqual([
      { channel: "sms", outcome: "skipped", reason: `agent ${emailOnly} has no phone number` },
      expect.objectContaining({ channel: "email", outcome: "enqueued" }),
    ]);
    expect(simulator.eventLog().messages).toEqual([]);
  });

  it("sends only email by default, and an SMS to a phone number given as to", async () => {
    const byDefault = await notify({
      to: "ops@example.com",
      notification_type: "info",
      title: "Report ready",
      message: "The daily report is ready.",
    });
    expect(byDefault.result.channels).toEqual([
      expect.objectContaining({ channel: "email", outcome: "enqueued" }),
    ]);
    const bySms = await notify({
      to: "+15553330000",
      notification_type: "info",
      title: "Callback",
      message: "We will call you back.",
      channels: ["sms"],
    });
    expect(bySms.result.channels).toEqual([
      expect.objectContaining({ channel: "sms", outcome: "sent" }),
    ]);
    expect(simulator.eventLog().messages.map((message) => message.to)).toEqual(["+15553330000"]);
  });

  it("ends dead, naming the field, for an unknown agent", async () => {
    const { row } = await notify({
      agent_id: 999_999,
      notification_type: "info",
      title: "x",
      message: "y",
    });
    expect(row).toMatchObject({ status: "dead", attempts: 1, error_class: "PermanentError" });
    expect(row.error_message).toBe("agent_id: no agent 999999");
  });
});

describe("send_notification over HTTP", () => {
  const app = () => testApp(undefined, { registry: new TaskRegistry([sendNotification]) });
  const execute = async (payload: unknown) => {
    const response = await app().request("/api/tasks/send_notification/execute/", {
      method: "POST",
      headers: operate,
      body: JSON.stringify({ payload }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the error body is checked field by field.
    const body = (await response.json()) as any;
    return {
      status: response.status,
      paths: (body.error?.details ?? []).map((detail: { path: string }) => detail.path),
    };
  };
  const base = { notification_type: "info", title: "Hi", message: "There" };

  it("refuses bad payloads with 400 naming the field, and accepts a good one", async () => {
    expect(await execute(base)).toEqual({ status: 400, paths: ["payload.to"] });
    expect(await execute({ ...base, agent_id: reachable, to: "a@example.com" })).toEqual({
      status: 400,
      paths: ["payload.to"],
    });
    expect(await execute({ ...base, to: "not an address" })).toEqual({
      status: 400,
      paths: ["payload.to"],
    });
    expect(await execute({ ...base, to: "a@example.com", channels: ["sms"] })).toEqual({
      status: 400,
      paths: ["payload.channels"],
    });
    expect(await execute({ ...base, to: "+15551234567", channels: ["email"] })).toEqual({
      status: 400,
      paths: ["payload.channels"],
    });
    expect(await execute({ ...base, agent_id: reachable, channels: ["push"] })).toMatchObject({
      status: 400,
      paths: ["payload.channels.0"],
    });
    expect(await execute({ ...base, agent_id: -1 })).toMatchObject({
      status: 400,
      paths: ["payload.agent_id"],
    });
    expect(await execute({ ...base, agent_id: reachable, title: "two\nlines" })).toMatchObject({
      status: 400,
      paths: ["payload.title"],
    });
    expect(
      await execute({ ...base, agent_id: reachable, channels: ["sms"], message: "x".repeat(1600) }),
    ).toMatchObject({ status: 400, paths: ["payload.message"] });
    expect(await execute({ ...base, agent_id: reachable, channels: ["email", "sms"] })).toEqual({
      status: 202,
      paths: [],
    });
  });
});
