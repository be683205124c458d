import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { createTwilioClient } from "../../../src/twilio/client.ts";
import { rejectionOf } from "../../support/promises.ts";
import { AGENT, CUSTOMER, useSimulator } from "../../support/simulatorHarness.ts";

const h = useSimulator({}, 2_000);
const CREATE = { method: "POST", path: "/Calls\\.json$" };
const createCall = () =>
  h.client.calls.create({
    to: CUSTOMER,
    from: AGENT,
    twiml: "<Response/>",
    statusCallback: `${h.receiver.url}/status`,
    statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
  });

describe("fault injection", () => {
  it("429: RestException with status 429, code 20429, and a Retry-After header", async () => {
    h.simulator.injectFault({ kind: "429", match: CREATE, retryAfterSeconds: 3 });
    const error = await rejectionOf<Error>(createCall());
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ status: 429, code: 20429 });
    expect(h.simulator.eventLog().calls).toHaveLength(0);

    h.simulator.injectFault({ kind: "429", match: CREATE });
    const raw = await fetch(
      `${h.simulator.url}/2010-04-01/Accounts/${h.simulator.accountSid}/Calls.json`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${h.simulator.accountSid}:${h.simulator.authToken}`).toString("base64")}`,
        },
      },
    );
    expect(raw.status).toBe(429);
    expect(raw.headers.get("retry-after")).toBe("1");
    // The fault is used up: the next create succeeds.
    await expect(createCall()).resolves.toMatchObject({ status: "queued" });
  });

  it("500 applies to the next `count` matching requests only", async () => {
    h.simulator.injectFault({ kind: "500", count: 2, match: { method: "GET" } });
    const call = await createCall();
    for (let i = 0; i < 2; i++) {
      expect(await rejectionOf<Error>(h.client.calls(call.sid).fetch())).toMatchObject({
        status: 500,
        code: 20500,
      });
    }
    await expect(h.client.calls(call.sid).fetch()).resolves.toMatchObject({ sid: call.sid });
    expect(h.simulator.pendingFaults()).toEqual([]);
  });

  it("timeout with ms holds the request, then answers 500", async () => {
    h.simulator.injectFault({ kind: "timeout", ms: 150, match: CREATE });
    const started = Date.now();
    expect(await rejectionOf<Error>(createCall())).toMatchObject({ status: 500 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(h.simulator.eventLog().calls).toHaveLength(0);
  });

  it("timeout without ms never answers: the SDK's own timeout fires", async () => {
    const client = createTwilioClient({
      accountSid: h.simulator.accountSid,
      authToken: h.simulator.authToken,
      simulatorUrl: h.simulator.url,
      timeoutMs: 200,
    });
    h.simulator.injectFault({ kind: "timeout", match: CREATE });
    const error = await rejectionOf<Error>(
      client.calls.create({ to: CUSTOMER, from: AGENT, twiml: "<Response/>" }),
    );
    expect(error.message).toMatch(/timeout/i);
  });

  it("slow delays the answer but succeeds", async () => {
    h.simulator.injectFault({ kind: "slow", ms: 150, match: CREATE });
    const started = Date.now();
    const call = await createCall();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(call.sid).toMatch(/^CA/);
  });

  it("error_after_create creates the call yet answers 500 (the ambiguous failure)", async () => {
    h.simulator.injectFault({ kind: "error_after_create", match: CREATE });
    expect(await rejectionOf<Error>(createCall())).toMatchObject({ status: 500, code: 20500 });
    const log = h.simulator.eventLog();
    expect(log.calls).toHaveLength(1);
    expect(log.requests.find((request) => request.fault)).toMatchObject({
      method: "POST",
      status: 500,
      fault: "error_after_create",
    });
    // The call is real: it shows in the list and goes on to ring and complete.
    const [listed] = await h.client.calls.list({ to: CUSTOMER });
    expect(listed?.sid).toBe(log.calls[0]?.sid);
    await h.receiver.waitFor(4);
  });

  it("duplicate sends every status callback twice, with the same signature and token", async () => {
    h.simulator.injectFault({ kind: "duplicate" });
    await createCall();
    const callbacks = await h.receiver.waitFor(8);
    expect(callbacks.map((callback) => callback.params.SequenceNumber)).toEqual([
      "0",
      "0",
      "1",
      "1",
      "2",
      "2",
      "3",
      "3",
    ]);
    for (let i = 0; i < 8; i += 2) {
      expect(callbacks[i + 1]?.signature).toBe(callbacks[i]?.signature);
      expect(callbacks[i + 1]?.idempotencyToken).toBe(callbacks[i]?.idempotencyToken);
      expect(h.receiver.isSigned(callbacks[i] as never, h.simulator.authToken)).toBe(true);
    }
    // Only the next call was affected.
    h.receiver.received.length = 0;
    await createCall();
    await h.simulator.whenIdle();
    expect(h.receiver.received).toHaveLength(4);
  });

  it("reorder sends a call's callbacks shuffled, each with its own SequenceNumber", async () => {
    h.simulator.injectFault({ kind: "reorder" });
    await createCall();
    const callbacks = await h.receiver.waitFor(4);
    const sequence = callbacks.map((callback) => callback.params.SequenceNumber);
    expect(sequence).not.toEqual(["0", "1", "2", "3"]);
    const byNumber = [...callbacks].sort(
      (a, b) => Number(a.params.SequenceNumber) - Number(b.params.SequenceNumber),
    );
    expect(byNumber.map((callback) => callback.params.CallStatus)).toEqual([
      "initiated",
      "ringing",
      "in-progress",
      "completed",
    ]);
    for (const callback of callbacks) {
      expect(h.receiver.isSigned(callback, h.simulator.authToken)).toBe(true);
    }
  });

  it("takes faults over the control API, and refuses a bad one naming the field", async () => {
    const control = `${h.simulator.url}/__simulator/faults`;
    const queued = await fetch(control, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ kind: "500", count: 2 }, { kind: "duplicate" }]),
    });
    expect(queued.status).toBe(201);
    const { faults } = (await (await fetch(control)).json()) as { faults: unknown[] };
    expect(faults).toEqual([
      { kind: "500", count: 2 },
      { kind: "duplicate", count: 1 },
    ]);
    const bad = await fetch(control, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "teapot" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^kind: /);
    expect((await fetch(control, { method: "DELETE" })).status).toBe(204);
    expect(h.simulator.pendingFaults()).toEqual([]);
  });
});
