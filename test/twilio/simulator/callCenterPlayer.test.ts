import { afterEach, describe, expect, it } from "vitest";
import { createApiToken } from "../../../src/api/auth/tokens.ts";
import { CallCenterOptionsError } from "../../../src/twilio/simulator/callCenterOptions.ts";
import {
  CallCenterPlayer,
  type CallCenterSetup,
} from "../../../src/twilio/simulator/callCenterPlayer.ts";
import processWebhookCallback from "../../../tasks/process_webhook_callback.ts";
import { startCallbackReceiver } from "../../support/callbackReceiver.ts";
import { startCallCenter } from "../../support/callCenter.ts";
import { db, waitFor } from "../../support/engine.ts";

let serial = 0;
const players: CallCenterPlayer[] = [];
afterEach(async () => {
  await Promise.all(players.splice(0).map((player) => player.stop()));
});

async function callQueue() {
  return db()
    .insertInto("call_queues")
    .values({ name: `player-${process.pid}-${++serial}` })
    .returning(["id", "name"])
    .executeTakeFirstOrThrow();
}

async function agent() {
  const n = ++serial;
  return db()
    .insertInto("agents")
    .values({ name: `Player agent ${n}`, phone_number: `+1555200${String(n).padStart(4, "0")}` })
    .returning(["id", "phone_number"])
    .executeTakeFirstOrThrow();
}

/** The player's view of a call center: the API on a real port, its desks' token, a worker. */
async function setupFor(
  callQueues: { name: string }[],
  agents: { id: number; phone_number: string | null }[],
): Promise<CallCenterSetup> {
  const { base, services } = await startCallCenter([processWebhookCallback]);
  const { token } = await createApiToken(db(), {
    name: `desks-${process.pid}-${++serial}`,
    scopes: ["operate"],
  });
  return {
    accountSid: services.twilio.accountSid,
    authToken: services.twilio.authToken,
    webhookBaseUrl: base,
    apiBaseUrl: base,
    apiToken: token,
    callQueues: callQueues.map((queue, index) => ({
      name: queue.name,
      phoneNumber: `+1500555030${index}`,
    })),
    agents: agents.map((row) => ({ id: row.id, phoneNumber: row.phone_number ?? "" })),
  };
}

const callsOf = (callQueueIds: number[]) =>
  db()
    .selectFrom("calls")
    .selectAll()
    .where("call_queue_id", "in", callQueueIds)
    .orderBy("id")
    .execute();

const stateEvents = (agentId: number) =>
  db()
    .selectFrom("agent_state_events")
    .select(["state", "call_id", "started_at"])
    .where("agent_id", "=", agentId)
    .orderBy("started_at")
    .execute();

describe("the simulated call center", () => {
  it("answers one caller and lets the next give up, through the real webhooks and agents API", async () => {
    const queue = await callQueue();
    const desk = await agent();
    const player = new CallCenterPlayer(await setupFor([queue], [desk]), {
      callsPerMinute: 0,
      agents: 1,
      patience: { distribution: "fixed", seconds: 1.2 },
      handleTime: { distribution: "fixed", seconds: 2.5 },
      wrapUpTime: { distribution: "fixed", seconds: 1.2 },
    });
    players.push(player);
    await player.start();
    // On duty: the desk said available and the agent's leg waits on the call queue.
    expect((await stateEvents(desk.id)).map((event) => event.state)).toEqual(["available"]);

    const answeredSid = await player.arrive(queue.name);
    const abandonedSid = await player.arrive(queue.name);
    const [answered, abandoned] = await waitFor(async () => {
      const calls = await callsOf([queue.id]);
      const first = calls.find((call) => call.sid === answeredSid);
      const second = calls.find((call) => call.sid === abandonedSid);
      return first?.wrap_up_seconds != null && second?.status === "completed"
        ? ([first, second] as const)
        : undefined;
    }, 20_000);

    expect(answered).toMatchObject({
      direction: "inbound",
      status: "completed",
      outcome: "completed",
      queue_result: "bridged",
      agent_id: desk.id,
      wait_seconds: 0,
      hold_seconds: 0,
    });
    expect(answered.queue_sid).toMatch(/^QU[0-9a-f]{32}$/);
    expect(answered.talk_seconds).toBeGreaterThanOrEqual(2);
    expect(answered.talk_seconds).toBeLessThanOrEqual(3);
    expect(answered.wrap_up_seconds).toBeGreaterThanOrEqual(1);
    expect(answered.wrap_up_seconds).toBeLessThanOrEqual(3);
    expect(answered.duration_seconds).toBeGreaterThanOrEqual(3);

    expect(abandoned).toMatchObject({
      direction: "inbound",
      outcome: "abandoned",
      queue_result: "hangup",
      agent_id: null,
      answered_at: null,
      talk_seconds: null,
      wrap_up_seconds: null,
    });
    expect(abandoned.wait_seconds).toBeGreaterThanOrEqual(1);
    expect(abandoned.wait_seconds).toBeLessThanOrEqual(2);
    // Ended when the caller hung up (about patience after ringing in), not when processed.
    const waited =
      ((abandoned.ended_at as Date).getTime() - (abandoned.enqueued_at as Date).getTime()) / 1000;
    expect(waited).toBeGreaterThanOrEqual(1);
    expect(waited).toBeLessThan(3);

    // Wrapped up, available again: the leg dials back in.
    await waitFor(async () => (await stateEvents(desk.id)).length >= 4);
    await player.stop();
    const events = await stateEvents(desk.id);
    expect(events.map(({ state, call_id }) => ({ state, call_id }))).toEqual([
      { state: "available", call_id: null },
      { state: "busy", call_id: answered.id },
      { state: "wrap_up", call_id: answered.id },
      { state: "available", call_id: null },
      { state: "offline", call_id: null },
    ]);
    expect(events[1]?.started_at).toEqual(answered.answered_at);
    expect(events[2]?.started_at).toEqual(answered.ended_at);

    // Every webhook is in the log, processed: the call-queue ones as they arrived.
    const logs = await db()
      .selectFrom("webhook_logs")
      .select(["kind", "processed_at"])
      .where("params", "@>", JSON.stringify({ CallSid: answeredSid }) as never)
      .execute();
    expect(logs.map((log) => log.kind).sort()).toEqual([
      "agent-answer",
      "call-queue-result",
      "call-status",
      "inbound-call",
    ]);
    expect(logs.every((log) => log.processed_at !== null)).toBe(true);
    expect(player.stats()).toMatchObject({
      arrived: 2,
      enqueued: 2,
      answered: 1,
      abandoned: 1,
      ended: 2,
      errors: 0,
    });
  }, 40_000);

  it("callers arrive at random into each call queue; stopping hangs every call up", async () => {
    const queues = [await callQueue(), await callQueue()];
    const desks = [await agent(), await agent()];
    const player = new CallCenterPlayer(await setupFor(queues, desks), {
      callsPerMinute: 90,
      agents: 2,
      patience: { distribution: "uniform", minSeconds: 0.5, maxSeconds: 1.5 },
      handleTime: { distribution: "exponential", meanSeconds: 1, minSeconds: 1, maxSeconds: 2 },
      wrapUpTime: { distribution: "fixed", seconds: 0.5 },
    });
    players.push(player);
    await player.start();
    await waitFor(async () => player.stats().arrived >= 8 && player.stats().answered >= 2, 20_000);
    await player.stop();
    const stats = player.stats();
    expect(stats.errors, stats.recentErrors.join("\n")).toBe(0);
    const ids = queues.map((queue) => queue.id);
    const calls = await waitFor(async () => {
      const rows = await callsOf(ids);
      // A call's outcome and its wait come from different webhooks, applied in either order. A
      // caller who hangs up before the call queue takes them gets an outcome and no wait.
      return rows.length === stats.arrived &&
        rows.every((call) => call.outcome !== null) &&
        rows.filter((call) => call.wait_seconds !== null).length === stats.enqueued
        ? rows
        : undefined;
    }).catch(async (error) => {
      const rows = await callsOf(ids);
      const open = rows.filter((call) => call.outcome === null || call.wait_seconds === null);
      throw new Error(
        `${(error as Error).message}: ${rows.length} calls of ${stats.arrived} arrived; open ${JSON.stringify(open)}; ${JSON.stringify(stats)}`,
      );
    });
    // Both call queues got callers; each ended answered or abandoned, its wait recorded.
    expect(new Set(calls.map((call) => call.call_queue_id))).toEqual(new Set(ids));
    for (const call of calls) {
      expect(["completed", "abandoned"]).toContain(call.outcome);
      if (call.wait_seconds === null) expect(call.outcome).toBe("abandoned");
      expect(call.outcome === "completed").toBe(call.agent_id !== null);
    }
    expect(calls.filter((call) => call.outcome === "completed")).toHaveLength(stats.answered);
    // Callers the call queue never took hung up too.
    expect(calls.filter((call) => call.outcome === "abandoned")).toHaveLength(
      stats.abandoned + stats.arrived - stats.enqueued,
    );
    // The agents went offline with the call center.
    for (const desk of desks) {
      const events = await stateEvents(desk.id);
      expect(events.at(-1)?.state).toBe("offline");
    }
  }, 40_000);

  it("refuses bad options, naming the field", async () => {
    const setup: CallCenterSetup = {
      accountSid: "AC00000000000000000000000000000001",
      authToken: "0".repeat(32),
      webhookBaseUrl: "http://127.0.0.1:9",
      apiBaseUrl: "http://127.0.0.1:9",
      apiToken: "sb_x",
      callQueues: [{ name: "support", phoneNumber: "+15005550301" }],
      agents: [{ id: 1, phoneNumber: "+15552000001" }],
    };
    const fieldsOf = (options: unknown) => {
      try {
        new CallCenterPlayer(setup, { agents: 1, ...(options as object) });
      } catch (error) {
        if (error instanceof CallCenterOptionsError) return error.fields;
        throw error;
      }
      throw new Error("expected the options to be refused");
    };
    expect(fieldsOf({ callsPerMinute: -1 })).toEqual(["callsPerMinute"]);
    expect(fieldsOf({ callsPerMinute: "often" })).toEqual(["callsPerMinute"]);
    expect(fieldsOf({ callsPerMinute: { nowhere: 2 } })).toEqual(["callsPerMinute.nowhere"]);
    expect(fieldsOf({ agents: 2 })).toEqual(["agents"]);
    expect(fieldsOf({ agents: 0.5 })).toEqual(["agents"]);
    expect(fieldsOf({ patience: { distribution: "exponential", meanSeconds: 0 } })).toEqual([
      "patience.meanSeconds",
    ]);
    expect(fieldsOf({ handleTime: { distribution: "normal", meanSeconds: 3 } })).toEqual([
      "handleTime.distribution",
    ]);
    expect(
      fieldsOf({ wrapUpTime: { distribution: "uniform", minSeconds: 5, maxSeconds: 1 } }),
    ).toEqual(["wrapUpTime.maxSeconds"]);
    expect(fieldsOf({ handleTime: { distribution: "fixed", seconds: -2 } })).toEqual([
      "handleTime.seconds",
    ]);
    expect(fieldsOf({ speed: 2 })).toEqual(["speed"]);
    expect(fieldsOf({ agents: 0, callsPerMinute: 1, requestTimeoutSeconds: 0 })).toEqual([
      "requestTimeoutSeconds",
    ]);
    expect(
      () => new CallCenterPlayer(setup, { agents: 1, callsPerMinute: { support: 2 } }),
    ).not.toThrow();
    // The defaults ask for more agents than this setup has.
    expect(() => new CallCenterPlayer(setup)).toThrow(/agents: 6 agents asked, 1 known/);
  });
});

describe("the simulated call center follows the TwiML it is given", () => {
  it("enqueues, plays the waitUrl, bridges and reports where the documents say, signed", async () => {
    const authToken = "a".repeat(32);
    const draws = [0, 0.5];
    const receiver = await startCallbackReceiver({
      respond: (callback) => {
        const path = new URL(callback.url).pathname;
        if (path === "/webhooks/twilio/voice/inbound") {
          return callback.params.From === "+15550000000"
            ? "<Response><Say>Closed</Say><Hangup/></Response>"
            : `<Response><Enqueue action="/custom/done?x=1&amp;y=2" waitUrl="/custom/hold" waitUrlMethod="GET">vip &amp; gold</Enqueue></Response>`;
        }
        if (path === "/custom/hold") return "<Response><Pause length='1'/></Response>";
        if (path === "/webhooks/twilio/voice/agent") {
          return `<Response><Dial><Queue url="/custom/whisper">vip &amp; gold</Queue></Dial></Response>`;
        }
        if (path === "/custom/whisper") return "<Response><Say>A caller</Say></Response>";
        return "<Response/>";
      },
    });
    try {
      const player = new CallCenterPlayer(
        {
          accountSid: "AC00000000000000000000000000000001",
          authToken,
          webhookBaseUrl: receiver.url,
          apiBaseUrl: receiver.url,
          apiToken: "sb_desk",
          // The number's call queue is not the Twilio queue: the TwiML names that.
          callQueues: [{ name: "front-desk", phoneNumber: "+15005550401" }],
          agents: [{ id: 7, phoneNumber: "+15552000777" }],
          // The callers' numbers: +15550000000, then +15555000000.
          random: () => draws.shift() ?? 0.5,
        },
        {
          callsPerMinute: 0,
          agents: 1,
          patience: { distribution: "fixed", seconds: 30 },
          handleTime: { distribution: "fixed", seconds: 0.2 },
          wrapUpTime: { distribution: "fixed", seconds: 30 },
        },
      );
      players.push(player);
      const closed = await player.arrive("front-desk");
      const [done] = await receiver.waitFor(
        1,
        (c) => c.params.CallSid === closed && c.url.endsWith("/call-status"),
      );
      expect(done?.params).toMatchObject({ CallStatus: "completed", Direction: "inbound" });

      const caller = await player.arrive("front-desk");
      // Waiting with nobody to answer: the waitUrl is played (GET, parameters in the query).
      const [hold] = await receiver.waitFor(1, (c) => c.url.includes("/custom/hold"));
      expect(hold?.method).toBe("GET");
      expect(new URL(hold?.url ?? "").searchParams.get("CallSid")).toBe(caller);
      await player.start();
      const [whisper] = await receiver.waitFor(1, (c) => c.url.endsWith("/custom/whisper"));
      const [result] = await receiver.waitFor(1, (c) => c.url.includes("/custom/done"));
      expect(whisper?.params).toMatchObject({ CallSid: caller });
      expect(whisper?.params.DequeingCallSid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(result?.url).toBe(`${receiver.url}/custom/done?x=1&y=2`);
      expect(result?.params).toMatchObject({ CallSid: caller, QueueResult: "bridged" });
      expect(result?.params.QueueSid).toBe(whisper?.params.QueueSid);
      const agentLeg = receiver.received.find((c) => c.url.includes("/voice/agent?"));
      expect(agentLeg?.url).toBe(
        `${receiver.url}/webhooks/twilio/voice/agent?call_queue=front-desk&agent_id=7`,
      );
      expect(agentLeg?.params.From).toBe("+15552000777");
      const desk = receiver.received.find((c) => c.url.endsWith("/api/agents/7/state"));
      expect(desk?.method).toBe("POST");
      for (const callback of receiver.received.filter(
        (c) => c.url.includes("/webhooks/") || c.url.includes("/custom/"),
      )) {
        expect(receiver.isSigned(callback, authToken), callback.url).toBe(true);
      }
      await player.stop();
      expect(player.stats()).toMatchObject({ arrived: 2, enqueued: 1, answered: 1, errors: 0 });
    } finally {
      await receiver.close();
    }
  });
});
