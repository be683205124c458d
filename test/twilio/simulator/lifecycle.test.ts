import { describe, expect, it } from "vitest";
import { outcomeFor } from "../../../src/twilio/simulator/outcomes.ts";
import { AGENT, CUSTOMER, useSimulator } from "../../support/simulatorHarness.ts";

// A long ring, so a test can cancel a ringing call without racing the no-answer.
const h = useSimulator({ timing: { ringMs: 250 } });
const allEvents = ["initiated", "ringing", "answered", "completed"];

describe("call lifecycle and status callbacks", () => {
  it("sends initiated → ringing → in-progress → completed, signed and numbered", async () => {
    const statusCallback = `${h.receiver.url}/twilio/status?campaign=42`;
    const call = await h.client.calls.create({
      to: CUSTOMER,
      from: AGENT,
      url: "https://example.com/twiml",
      statusCallback,
      statusCallbackEvent: allEvents,
    });
    const callbacks = await h.receiver.waitFor(4);
    expect(callbacks.map((callback) => callback.params.CallStatus)).toEqual([
      "initiated",
      "ringing",
      "in-progress",
      "completed",
    ]);
    expect(callbacks.map((callback) => callback.params.SequenceNumber)).toEqual([
      "0",
      "1",
      "2",
      "3",
    ]);
    for (const callback of callbacks) {
      expect(callback.method).toBe("POST");
      expect(callback.url).toBe(statusCallback);
      expect(h.receiver.isSigned(callback, h.simulator.authToken)).toBe(true);
      expect(h.receiver.isSigned(callback, "another-token")).toBe(false);
      expect(callback.params).toMatchObject({
        CallSid: call.sid,
        AccountSid: h.simulator.accountSid,
        From: AGENT,
        To: CUSTOMER,
        Direction: "outbound-api",
        ApiVersion: "2010-04-01",
      });
      expect(Date.parse(callback.params.Timestamp as string)).not.toBeNaN();
    }
    expect(callbacks[3]?.params.CallDuration).toBe("1");
    expect(callbacks[3]?.params.Duration).toBe("1");
    expect(new Set(callbacks.map((callback) => callback.idempotencyToken)).size).toBe(4);
    expect((await h.client.calls(call.sid).fetch()).status).toBe("completed");
  });

  it("sends only the completed callback when no events are chosen, as Twilio does", async () => {
    await h.client.calls.create({
      to: CUSTOMER,
      from: AGENT,
      twiml: "<Response/>",
      statusCallback: `${h.receiver.url}/status`,
    });
    await h.simulator.whenIdle();
    expect(h.receiver.received.map((callback) => callback.params.CallStatus)).toEqual([
      "completed",
    ]);
    expect(h.receiver.received[0]?.params.SequenceNumber).toBe("0");
  });

  it("signs GET callbacks over the URL with its query string", async () => {
    await h.client.calls.create({
      to: CUSTOMER,
      from: AGENT,
      twiml: "<Response/>",
      statusCallback: `${h.receiver.url}/status?a=1`,
      statusCallbackMethod: "GET",
    });
    const [callback] = await h.receiver.waitFor(1);
    expect(callback?.method).toBe("GET");
    expect(callback?.url).toMatch(/\/status\?a=1&.*CallStatus=completed/);
    expect(h.receiver.isSigned(callback as never, h.simulator.authToken)).toBe(true);
  });

  it.each([
    ["+15550000001", "busy", ["initiated", "ringing", "busy"]],
    ["+15550000002", "no-answer", ["initiated", "ringing", "no-answer"]],
    ["+15550000003", "failed", ["initiated", "failed"]],
  ])("a call to %s ends %s", async (to, outcome, statuses) => {
    expect(outcomeFor(to)).toBe(outcome);
    const call = await h.client.calls.create({
      to,
      from: AGENT,
      twiml: "<Response/>",
      statusCallback: `${h.receiver.url}/status`,
      statusCallbackEvent: allEvents,
    });
    const callbacks = await h.receiver.waitFor(statuses.length);
    expect(callbacks.map((callback) => callback.params.CallStatus)).toEqual(statuses);
    expect(callbacks.at(-1)?.params.CallDuration).toBe("0");
    const ended = await h.client.calls(call.sid).fetch();
    expect(ended).toMatchObject({ status: outcome, duration: "0", price: null });
  });

  it("cancels a ringing call, with a final callback", async () => {
    const call = await h.client.calls.create({
      to: "+15550000002",
      from: AGENT,
      twiml: "<Response/>",
      statusCallback: `${h.receiver.url}/status`,
      statusCallbackEvent: allEvents,
    });
    await h.receiver.waitFor(2);
    const canceled = await h.client.calls(call.sid).update({ status: "canceled" });
    expect(canceled.status).toBe("canceled");
    await h.simulator.whenIdle();
    expect(h.receiver.received.map((callback) => callback.params.CallStatus)).toEqual([
      "initiated",
      "ringing",
      "canceled",
    ]);
  });
});
