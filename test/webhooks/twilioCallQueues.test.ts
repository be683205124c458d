import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import processWebhookCallback from "../../tasks/process_webhook_callback.ts";
import { authHeaders } from "../support/app.ts";
import { startCallCenter } from "../support/callCenter.ts";
import { db, waitFor } from "../support/engine.ts";
import { signedPost } from "../support/twilioRequests.ts";

let serial = 0;
const sid = () => `CA${(Date.now() * 1000 + ++serial).toString(16).padStart(32, "0")}`;

async function callQueue() {
  return db()
    .insertInto("call_queues")
    .values({ name: `support-${process.pid}-${++serial}` })
    .returning(["id", "name"])
    .executeTakeFirstOrThrow();
}

async function agent() {
  return db()
    .insertInto("agents")
    .values({
      name: `Agent ${++serial}`,
      phone_number: `+1555000${String(serial).padStart(4, "0")}`,
    })
    .returning(["id", "phone_number"])
    .executeTakeFirstOrThrow();
}

const callBySid = (callSid: string) =>
  db().selectFrom("calls").selectAll().where("sid", "=", callSid).executeTakeFirstOrThrow();

const stateEvents = (agentId: number) =>
  db()
    .selectFrom("agent_state_events")
    .select(["state", "call_id"])
    .where("agent_id", "=", agentId)
    .orderBy("started_at")
    .execute();

async function center(worker = false) {
  const { base, services } = await startCallCenter([processWebhookCallback], { worker });
  const post = (path: string, params: Record<string, string>) =>
    signedPost(base, services.twilio.authToken, path, params);
  return { base, services, post };
}

/** Sends a final status callback and waits until the worker has applied it. */
async function ended(
  post: (path: string, params: Record<string, string>) => Promise<Response>,
  callSid: string,
  extra: Record<string, string> = {},
) {
  const response = await post("/webhooks/twilio/call-status", {
    CallSid: callSid,
    CallStatus: "completed",
    SequenceNumber: "9",
    Direction: "inbound",
    CallDuration: "60",
    ...extra,
  });
  expect(response.status).toBe(204);
  return waitFor(async () => {
    const call = await callBySid(callSid);
    return call.status === "completed" ? call : undefined;
  });
}

describe("inbound calls through Twilio's call queues", () => {
  it("answers a caller with TwiML that enqueues them, recording the call once", async () => {
    const { base, post } = await center();
    const queue = await callQueue();
    const caller = sid();
    const params = {
      CallSid: caller,
      From: "+15551110000",
      To: "+15552220000",
      CallStatus: "ringing",
    };
    const first = await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, params);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toContain("text/xml");
    expect(await first.text()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue action="${base}/webhooks/twilio/voice/queue-result" waitUrl="${base}/webhooks/twilio/voice/queue-wait" method="POST">${queue.name}</Enqueue></Response>`,
    );
    const recorded = await callBySid(caller);
    expect(recorded).toMatchObject({
      direction: "inbound",
      call_queue_id: queue.id,
      from_number: "+15551110000",
      to_number: "+15552220000",
      outcome: null,
    });
    expect(recorded.enqueued_at).not.toBeNull();

    // By id too; a repeat finds the same call and keeps when it was enqueued.
    const repeat = await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.id}`, params);
    expect(repeat.status).toBe(200);
    const rows = await db().selectFrom("calls").selectAll().where("sid", "=", caller).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.enqueued_at).toEqual(recorded.enqueued_at);

    const wait = await post("/webhooks/twilio/voice/queue-wait", {
      CallSid: caller,
      QueuePosition: "1",
    });
    expect(await wait.text()).toContain("<Say>");
  });

  it("refuses bad signatures and names the bad field of a callback", async () => {
    const { base, services, post } = await center();
    const queue = await callQueue();
    const caller = sid();
    const forged = await signedPost(
      base,
      "not-the-auth-token",
      `/webhooks/twilio/voice/inbound?call_queue=${queue.name}`,
      { CallSid: caller },
    );
    expect(forged.status).toBe(403);
    // Signed for another queue than the one asked: the query is part of what is signed.
    const moved = await signedPost(
      base,
      services.twilio.authToken,
      `/webhooks/twilio/voice/inbound?call_queue=${queue.id}`,
      { CallSid: caller },
      `${base}/webhooks/twilio/voice/inbound?call_queue=${queue.name}`,
    );
    expect(moved.status).toBe(403);
    for (const path of ["queue-result", "agent", "agent-answer?agent_id=1", "queue-wait"]) {
      const response = await signedPost(
        base,
        "not-the-auth-token",
        `/webhooks/twilio/voice/${path}`,
        { CallSid: caller },
      );
      expect(response.status).toBe(403);
    }
    expect(
      await db().selectFrom("calls").select("id").where("sid", "=", caller).execute(),
    ).toHaveLength(0);

    const field = async (response: Response) => {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { details: { path: string }[] } };
      return body.error.details.map((detail) => detail.path);
    };
    expect(
      await field(await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, {})),
    ).toEqual(["CallSid"]);
    expect(
      await field(
        await post("/webhooks/twilio/voice/inbound?call_queue=nope", { CallSid: caller }),
      ),
    ).toEqual(["call_queue"]);
    expect(await field(await post("/webhooks/twilio/voice/inbound", { CallSid: caller }))).toEqual([
      "call_queue",
    ]);
    expect(
      await field(
        await post("/webhooks/twilio/voice/queue-result", {
          CallSid: caller,
          QueueResult: "gone",
          QueueTime: "3",
        }),
      ),
    ).toEqual(["QueueResult"]);
    expect(
      await field(
        await post("/webhooks/twilio/voice/queue-result", {
          CallSid: caller,
          QueueResult: "hangup",
          QueueTime: "-3",
        }),
      ),
    ).toEqual(["QueueTime"]);
    expect(
      await field(
        await post(`/webhooks/twilio/voice/agent?call_queue=${queue.name}`, {
          CallSid: sid(),
          From: "+19999999999",
        }),
      ),
    ).toEqual(["agent_id"]);
    expect(
      await field(
        await post("/webhooks/twilio/voice/agent-answer?agent_id=x", { CallSid: caller }),
      ),
    ).toEqual(["agent_id"]);
    // Refused requests leave no log.
    expect(
      await db()
        .selectFrom("webhook_logs")
        .select("id")
        .where("params", "@>", JSON.stringify({ CallSid: caller }) as never)
        .execute(),
    ).toEqual([]);
  });

  it("logs each call-queue webhook once, and answers a callback about an unknown call with harmless TwiML", async () => {
    const { post } = await center();
    const queue = await callQueue();
    const { id: agentId } = await agent();
    const caller = sid();
    const logsOf = (callSid: string) =>
      db()
        .selectFrom("webhook_logs")
        .select(["kind", "dedupe_key", "duplicate_of", "processed_at", "url"])
        .where("params", "@>", JSON.stringify({ CallSid: callSid }) as never)
        .orderBy("id")
        .execute();
    for (let i = 0; i < 2; i++) {
      await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: caller });
      await post(`/webhooks/twilio/voice/agent-answer?agent_id=${agentId}`, {
        CallSid: caller,
        QueueTime: "4",
      });
      await post("/webhooks/twilio/voice/queue-result", {
        CallSid: caller,
        QueueResult: "bridged",
        QueueTime: "4",
      });
    }
    const logs = await logsOf(caller);
    expect(logs.map((log) => [log.kind, log.duplicate_of === null])).toEqual([
      ["inbound-call", true],
      ["agent-answer", true],
      ["call-queue-result", true],
      ["inbound-call", false],
      ["agent-answer", false],
      ["call-queue-result", false],
    ]);
    expect(logs.every((log) => log.processed_at !== null)).toBe(true);
    expect(logs[0]?.url).toContain(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`);
    expect(logs[1]?.dedupe_key).toBe(`agent-answer:${caller}:${agentId}:`);
    // Applied once: one busy event for the one answer.
    expect((await stateEvents(agentId)).map((event) => event.state)).toEqual(["busy"]);

    // Twilio plays an application error to a live caller on a 4xx: a call we never saw gets
    // a 200 with TwiML that does nothing, and its callback stays in the log.
    const stranger = sid();
    const result = await post("/webhooks/twilio/voice/queue-result", {
      CallSid: stranger,
      QueueResult: "hangup",
      QueueTime: "3",
    });
    expect(result.status).toBe(200);
    expect(await result.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const answer = await post(`/webhooks/twilio/voice/agent-answer?agent_id=${agentId}`, {
      CallSid: stranger,
      QueueTime: "3",
    });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect((await logsOf(stranger)).map((log) => log.kind)).toEqual([
      "call-queue-result",
      "agent-answer",
    ]);
    expect(
      await db().selectFrom("calls").select("id").where("sid", "=", stranger).execute(),
    ).toEqual([]);
    expect((await stateEvents(agentId)).map((event) => event.state)).toEqual(["busy"]);
  });

  it("a call ends when Twilio says it did: Timestamp, else the pick-up plus CallDuration", async () => {
    const { post } = await center(true);
    const queue = await callQueue();
    const stamped = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: stamped });
    const endedAt = new Date(Date.now() - 60_000);
    endedAt.setMilliseconds(0);
    await post("/webhooks/twilio/call-status", {
      CallSid: stamped,
      CallStatus: "completed",
      Direction: "inbound",
      CallDuration: "75",
      Timestamp: endedAt.toUTCString().replace("GMT", "+0000"),
    });
    const first = await waitFor(async () => {
      const call = await callBySid(stamped);
      return call.status === "completed" ? call : undefined;
    });
    expect(first.ended_at).toEqual(endedAt);
    expect(first.duration_seconds).toBe(75);

    const unstamped = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: unstamped });
    await sql`update calls set enqueued_at = enqueued_at - interval '5 minutes' where sid = ${unstamped}`.execute(
      db(),
    );
    const second = await ended(post, unstamped);
    expect((second.ended_at as Date).getTime() - (second.enqueued_at as Date).getTime()).toBe(
      60_000,
    );
    // An unreadable Timestamp is ignored.
    const garbled = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: garbled });
    await post("/webhooks/twilio/call-status", {
      CallSid: garbled,
      CallStatus: "completed",
      Direction: "inbound",
      CallDuration: "2",
      Timestamp: "yesterday-ish",
    });
    const third = await waitFor(async () => {
      const call = await callBySid(garbled);
      return call.status === "completed" ? call : undefined;
    });
    expect((third.ended_at as Date).getTime() - (third.enqueued_at as Date).getTime()).toBe(2_000);
  });

  it("a caller who hangs up while waiting is abandoned, whatever order the callbacks come in", async () => {
    const { post } = await center(true);
    const queue = await callQueue();
    const early = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: early });
    const hangup = { CallSid: early, QueueResult: "hangup", QueueTime: "42", QueueSid: "QU1" };
    for (let i = 0; i < 2; i++) {
      const response = await post("/webhooks/twilio/voice/queue-result", hangup);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("<Response/>");
    }
    // A later, different result does not rewrite how the wait ended.
    await post("/webhooks/twilio/voice/queue-result", {
      ...hangup,
      QueueResult: "bridged",
      QueueTime: "50",
    });
    const abandoned = await callBySid(early);
    expect(abandoned).toMatchObject({
      queue_result: "hangup",
      queue_sid: "QU1",
      wait_seconds: 42,
      outcome: "abandoned",
      answered_at: null,
      talk_seconds: null,
    });
    expect(abandoned.ended_at).not.toBeNull();
    const final = await ended(post, early);
    expect(final).toMatchObject({ outcome: "abandoned", talk_seconds: null, answered_at: null });
    expect(final.ended_at).toEqual(abandoned.ended_at);

    // The call's end processed before the call-queue result: the same outcome.
    const late = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: late });
    await post("/webhooks/twilio/call-status", {
      CallSid: late,
      CallStatus: "in-progress",
      SequenceNumber: "1",
      Direction: "inbound",
    });
    expect((await ended(post, late)).outcome).toBe("abandoned");
    await post("/webhooks/twilio/voice/queue-result", { ...hangup, CallSid: late, QueueTime: "7" });
    expect(await callBySid(late)).toMatchObject({
      outcome: "abandoned",
      wait_seconds: 7,
      answered_at: null,
    });

    // An agent's claim on a caller who already hung up answers nothing.
    const { id: agentId } = await agent();
    const claim = await post(`/webhooks/twilio/voice/agent-answer?agent_id=${agentId}`, {
      CallSid: early,
      QueueTime: "50",
    });
    expect(claim.status).toBe(200);
    expect(await callBySid(early)).toMatchObject({
      outcome: "abandoned",
      agent_id: null,
      answered_at: null,
      wait_seconds: 42,
    });
    expect(await stateEvents(agentId)).toEqual([]);
  });

  it("an agent's leg takes the next caller: answered, busy, then wrap-up until available", async () => {
    const { base, post } = await center(true);
    const queue = await callQueue();
    const first = await agent();
    const second = await agent();
    const agentLeg = sid();

    const leg = await post(
      `/webhooks/twilio/voice/agent?call_queue=${queue.name}&agent_id=${first.id}`,
      {
        CallSid: agentLeg,
        From: "+15559990000",
      },
    );
    expect(leg.status).toBe(200);
    expect(await leg.text()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Queue url="${base}/webhooks/twilio/voice/agent-answer?agent_id=${first.id}" method="POST">${queue.name}</Queue></Dial></Response>`,
    );
    // The agent is found by the number their leg calls from, too.
    const byPhone = await post(`/webhooks/twilio/voice/agent?call_queue=${queue.id}`, {
      CallSid: sid(),
      From: second.phone_number ?? "",
    });
    expect(await byPhone.text()).toContain(`agent_id=${second.id}"`);
    expect(await stateEvents(first.id)).toEqual([{ state: "available", call_id: null }]);

    const caller = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: caller });
    // Twilio's request to <Queue url>: on the dequeued caller's leg, naming the dequeuing leg.
    const dequeued = {
      CallSid: caller,
      QueueSid: "QU2",
      QueueTime: "5",
      DequeingCallSid: agentLeg,
    };
    for (let i = 0; i < 2; i++) {
      const answer = await post(
        `/webhooks/twilio/voice/agent-answer?agent_id=${first.id}`,
        dequeued,
      );
      expect(answer.status).toBe(200);
      expect(await answer.text()).toContain("<Say>");
    }
    // Another agent's late claim on the same caller changes nothing.
    await post(`/webhooks/twilio/voice/agent-answer?agent_id=${second.id}`, dequeued);
    const answered = await callBySid(caller);
    expect(answered).toMatchObject({
      agent_id: first.id,
      wait_seconds: 5,
      queue_sid: "QU2",
      outcome: null,
    });
    expect(answered.answered_at).not.toBeNull();
    const call = answered.id;
    expect(await stateEvents(first.id)).toEqual([
      { state: "available", call_id: null },
      { state: "busy", call_id: call },
    ]);
    expect(await stateEvents(second.id)).toEqual([{ state: "available", call_id: null }]);

    await post("/webhooks/twilio/voice/queue-result", {
      CallSid: caller,
      QueueResult: "bridged",
      QueueTime: "5",
    });
    expect((await callBySid(caller)).outcome).toBeNull();

    // Thirty seconds of talk, then the caller hangs up.
    await sql`update calls set answered_at = answered_at - interval '30 seconds' where id = ${call}`.execute(
      db(),
    );
    await sql`update agent_state_events set started_at = started_at - interval '30 seconds'
              where agent_id = ${first.id}`.execute(db());
    const final = await ended(post, caller, {
      Timestamp: new Date().toUTCString().replace("GMT", "+0000"),
    });
    expect(final.outcome).toBe("completed");
    // Twilio's Timestamp has whole seconds.
    expect(final.talk_seconds).toBeGreaterThanOrEqual(29);
    expect(final.talk_seconds).toBeLessThanOrEqual(31);
    expect(await stateEvents(first.id)).toEqual([
      { state: "available", call_id: null },
      { state: "busy", call_id: call },
      { state: "wrap_up", call_id: call },
    ]);
    const agentRow = await db()
      .selectFrom("agents")
      .select("status")
      .where("id", "=", first.id)
      .executeTakeFirstOrThrow();
    expect(agentRow.status).toBe("wrap_up");

    const endedAt = final.ended_at as Date;
    const available = {
      state: "available",
      started_at: new Date(endedAt.getTime() + 45_000).toISOString(),
    };
    const headers = await authHeaders("operate");
    for (const recorded of [true, false]) {
      const response = await fetch(`${base}/api/agents/${first.id}/state`, {
        method: "POST",
        headers,
        body: JSON.stringify(available),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        agent_id: first.id,
        state: "available",
        recorded,
        status: "available",
      });
    }
    expect((await callBySid(caller)).wrap_up_seconds).toBe(45);
  });
});

describe("an agent's wrap-up learnt late", () => {
  it("a call's end applied after the desk said available still records the wrap-up, ended there", async () => {
    const { base, post } = await center(true);
    const queue = await callQueue();
    const { id: agentId } = await agent();
    await post(`/webhooks/twilio/voice/agent?call_queue=${queue.name}&agent_id=${agentId}`, {
      CallSid: sid(),
    });
    const caller = sid();
    await post(`/webhooks/twilio/voice/inbound?call_queue=${queue.name}`, { CallSid: caller });
    await post(`/webhooks/twilio/voice/agent-answer?agent_id=${agentId}`, {
      CallSid: caller,
      QueueTime: "1",
    });
    const answeredAt = (await callBySid(caller)).answered_at as Date;
    const endedAt = new Date(answeredAt.getTime() + 20_000);
    endedAt.setMilliseconds(0);
    const available = new Date(endedAt.getTime() + 7_000);
    const headers = await authHeaders("operate");
    const desk = await fetch(`${base}/api/agents/${agentId}/state`, {
      method: "POST",
      headers,
      body: JSON.stringify({ state: "available", started_at: available.toISOString() }),
    });
    expect(desk.status).toBe(200);
    await post("/webhooks/twilio/call-status", {
      CallSid: caller,
      CallStatus: "completed",
      Direction: "inbound",
      CallDuration: "21",
      Timestamp: endedAt.toUTCString().replace("GMT", "+0000"),
    });
    const call = await waitFor(async () => {
      const row = await callBySid(caller);
      return row.wrap_up_seconds !== null ? row : undefined;
    });
    expect(call).toMatchObject({ outcome: "completed", wrap_up_seconds: 7 });
    expect(call.talk_seconds).toBeGreaterThanOrEqual(19);
    expect(call.talk_seconds).toBeLessThanOrEqual(20);
    expect(await stateEvents(agentId)).toEqual([
      { state: "available", call_id: null },
      { state: "busy", call_id: call.id },
      { state: "wrap_up", call_id: call.id },
      { state: "available", call_id: null },
    ]);
    const row = await db()
      .selectFrom("agents")
      .select("status")
      .where("id", "=", agentId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("available");
  });
});
