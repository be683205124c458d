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
) {
  const response = await post("/webhooks/twilio/call-status", {
    CallSid: callSid,
    CallStatus: "completed",
    SequenceNumber: "9",
    Direction: "inbound",
    CallDuration: "60",
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
    const unknown = await post("/webhooks/twilio/voice/queue-result", {
      CallSid: caller,
      QueueResult: "hangup",
      QueueTime: "3",
    });
    expect(unknown.status).toBe(404);
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
    const final = await ended(post, caller);
    expect(final.outcome).toBe("completed");
    expect(final.talk_seconds).toBeGreaterThanOrEqual(30);
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
