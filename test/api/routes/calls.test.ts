import { beforeAll, describe, expect, it } from "vitest";
import { callRoutes } from "../../../src/api/routes/calls.ts";
import { campaignRoutes } from "../../../src/api/routes/campaigns.ts";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import {
  type CallCenter,
  callTasks,
  countRows,
  simulatorsIdle,
  startCallTasksCenter,
} from "../../support/calls.ts";
import { db, execution, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;

const registry = new TaskRegistry(callTasks);
let read: Record<string, string>;
let operate: Record<string, string>;
let center: CallCenter;

beforeAll(async () => {
  read = await authHeaders("read");
  operate = await authHeaders("operate");
  center = await startCallTasksCenter({ timing: { talkMs: 150 } });
});

/** The API app with the call routes mounted as createApp will mount them. */
function app() {
  const api = testApp(undefined, { registry });
  api.route("/", callRoutes({ db: db(), registry }));
  api.route("/", campaignRoutes({ db: db(), registry }));
  return api;
}

async function request(method: string, path: string, body?: unknown, headers = operate) {
  const response = await app().request(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function written() {
  return Promise.all(
    (["calls", "campaigns", "executions", "audit_log"] as const).map((t) => countRows(db(), t)),
  );
}

describe("call routes", () => {
  it("POST /api/calls writes the intent and its job: 202, then the call is placed", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const { status, body } = await request("POST", "/api/calls", {
      to_number: "+15553001000",
      call_metadata: { customer_id: "12345", call_type: "follow_up" },
    });
    expect(status).toBe(202);
    expect(body).toMatchObject({ status_url: `/api/tasks/status/${body.task_id}/` });

    // The intent exists at once, before any dialing.
    const before = await request("GET", `/api/calls/${body.call_id}`, undefined, read);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ call_id: body.call_id, to_number: "+15553001000" });

    await waitForStatus(body.task_id, "succeeded");
    const call = await waitFor(async () => {
      const got = await request("GET", `/api/calls/${body.call_id}`, undefined, read);
      return got.body.status === "completed" ? got.body : undefined;
    });
    expect(call).toMatchObject({
      metadata: { customer_id: "12345", call_type: "follow_up" },
      from_number: center.services.twilio.phoneNumber,
      dial_attempts: 1,
      error: null,
    });
    expect(call.call_sid).toMatch(/^CA/);
    expect(call.events.map((event: Json) => event.status)).toEqual([
      "initiated",
      "ringing",
      "in-progress",
      "completed",
    ]);
    // The same call by its sid.
    const bySid = await request("GET", `/api/calls/${call.call_sid}`, undefined, read);
    expect(bySid.body.call_id).toBe(body.call_id);
    const audit = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "call.queue")
      .executeTakeFirstOrThrow();
    expect(audit.target_ids).toEqual([body.call_id]);
  });

  it("POST /api/calls with delay_seconds schedules the job and the intent", async () => {
    const { status, body } = await request("POST", "/api/calls", {
      to_number: "+15553001001",
      delay_seconds: 3600,
    });
    expect(status).toBe(202);
    expect((await execution(body.task_id)).status).toBe("scheduled");
    const call = await request("GET", `/api/calls/${body.call_id}`, undefined, read);
    expect(Date.parse(call.body.scheduled_for)).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it("POST /api/calls/bulk starts a campaign whose progress GET /api/campaigns/{id} shows", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const numbers = ["+15553002000", "+15553020001", "+15553002002", "+15553020003"];
    const { status, body } = await request("POST", "/api/calls/bulk", {
      phone_numbers: numbers,
      max_concurrent_calls: 2,
      delay_between_calls: 0.1,
      campaign_name: "reminders",
    });
    expect(status).toBe(202);
    expect(body.campaign_url).toBe(`/api/campaigns/${body.campaign_id}`);
    const done = await waitFor(async () => {
      const got = await request("GET", body.campaign_url, undefined, read);
      return got.body.status === "completed" ? got.body : undefined;
    });
    expect(done).toMatchObject({
      name: "reminders",
      max_concurrent_calls: 2,
      delay_between_calls: 0.1,
      progress: { total: 4, queued: 0, dialed: 4, in_progress: 0, completed: 2, failed: 2 },
    });
    expect(done.finished_at).not.toBeNull();
  });

  it("POST /api/calls/schedule dials at schedule_time", async () => {
    await startTestWorker(callTasks, { services: center.services });
    const at = new Date(Date.now() + 1_500).toISOString();
    const { status, body } = await request("POST", "/api/calls/schedule", {
      to_number: "+15553003000",
      schedule_time: at,
    });
    expect(status).toBe(202);
    expect(body.scheduled_for).toBe(at);
    expect((await execution(body.task_id)).status).toBe("scheduled");
    const dialed = await waitForStatus(body.task_id, "succeeded");
    expect(dialed.started_at?.getTime()).toBeGreaterThanOrEqual(Date.parse(at) - 50);
  });

  it("POST /api/calls/{sid}/end hangs up a live call", async () => {
    // A simulator whose answered calls last a minute, so there is time to hang one up.
    const longCall = await startCallTasksCenter({ timing: { talkMs: 60_000 } });
    await startTestWorker(callTasks, { services: longCall.services });
    const queued = await request("POST", "/api/calls", { to_number: "+15553004000" });
    const live = await waitFor(async () => {
      const got = await request("GET", `/api/calls/${queued.body.call_id}`, undefined, read);
      return got.body.status === "in-progress" ? got.body : undefined;
    });
    const { status, body } = await request("POST", `/api/calls/${live.call_sid}/end`);
    expect(status).toBe(202);
    const ended = await waitForStatus(body.task_id, "succeeded");
    expect(ended.result).toEqual({ call_sid: live.call_sid, status: "completed" });
    const call = await request("GET", `/api/calls/${live.call_sid}`, undefined, read);
    expect(call.body.status).toBe("completed");
  });

  it("refuses bad input naming the field, unknown calls, and read-only tokens — writing nothing", async () => {
    // Callbacks of the calls placed above are logged (with their jobs) as they arrive.
    await simulatorsIdle();
    const before = await written();

    const badNumber = await request("POST", "/api/calls", { to_number: "555-1234" });
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.error.details.map((d: Json) => d.path)).toEqual(["to_number"]);
    expect(badNumber.body.error.details[0].message).toMatch(/to_number must be an E\.164/);

    const badFrom = await request("POST", "/api/calls", {
      to_number: "+15553005000",
      from_number: "+0123",
    });
    expect(badFrom.body.error.details.map((d: Json) => d.path)).toEqual(["from_number"]);

    const unknownField = await request("POST", "/api/calls", {
      to_number: "+15553005000",
      call_id: "00000000-0000-4000-8000-000000000000",
    });
    expect(unknownField.status).toBe(400);

    const unknownCampaign = await request("POST", "/api/calls", {
      to_number: "+15553005000",
      campaign_id: "00000000-0000-4000-8000-000000000000",
    });
    expect(unknownCampaign.status).toBe(400);
    expect(unknownCampaign.body.error.details.map((d: Json) => d.path)).toEqual(["campaign_id"]);

    const badBulk = await request("POST", "/api/calls/bulk", {
      phone_numbers: ["+15553006000", "+15553006001", "+15553006002", "12345"],
    });
    expect(badBulk.status).toBe(400);
    expect(badBulk.body.error.details).toEqual([
      { path: "phone_numbers.3", message: expect.stringContaining("phone_numbers[3]") },
    ]);
    const zeroConcurrency = await request("POST", "/api/calls/bulk", {
      phone_numbers: ["+15553006000"],
      max_concurrent_calls: 0,
    });
    expect(zeroConcurrency.body.error.details.map((d: Json) => d.path)).toEqual([
      "max_concurrent_calls",
    ]);

    const past = await request("POST", "/api/calls/schedule", {
      to_number: "+15553007000",
      schedule_time: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.status).toBe(400);
    expect(past.body.error.details).toEqual([
      { path: "schedule_time", message: "schedule_time must be in the future" },
    ]);
    const garbled = await request("POST", "/api/calls/schedule", {
      to_number: "+15553007000",
      schedule_time: "tomorrow at nine",
    });
    expect(garbled.body.error.details.map((d: Json) => d.path)).toEqual(["schedule_time"]);

    const unknownSid = `CA${"0".repeat(32)}`;
    expect((await request("GET", `/api/calls/${unknownSid}`, undefined, read)).status).toBe(404);
    expect((await request("POST", `/api/calls/${unknownSid}/end`)).status).toBe(404);
    const badSid = await request("GET", "/api/calls/not-a-sid", undefined, read);
    expect(badSid.status).toBe(400);
    expect(badSid.body.error.details.map((d: Json) => d.path)).toEqual(["sid"]);
    expect((await request("POST", "/api/calls/CA123/end")).status).toBe(400);
    const noCampaign = await request(
      "GET",
      "/api/campaigns/00000000-0000-4000-8000-000000000000",
      undefined,
      read,
    );
    expect(noCampaign.status).toBe(404);

    const readOnly = await request("POST", "/api/calls", { to_number: "+15553008000" }, read);
    expect(readOnly.status).toBe(403);
    const readOnlyBulk = await request(
      "POST",
      "/api/calls/bulk",
      { phone_numbers: ["+15553008000"] },
      read,
    );
    expect(readOnlyBulk.status).toBe(403);
    const anonymous = await app().request("/api/campaigns/00000000-0000-4000-8000-000000000000");
    expect(anonymous.status).toBe(401);

    expect(await written()).toEqual(before);
  });
});
