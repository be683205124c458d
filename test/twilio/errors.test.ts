import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import { RateLimitedError } from "../../src/engine/errors.ts";
import { classifyError, decideRetry } from "../../src/engine/retryStrategies.ts";
import {
  asEngineError,
  isTwilioNotFound,
  isTwilioOutage,
  twilioFailureOf,
} from "../../src/twilio/errors.ts";
import getCallStatus from "../../tasks/get_call_status.ts";
import { testDb } from "../support/database.ts";
import { startTestWorker, waitForStatus } from "../support/engine.ts";
import { rejectionOf } from "../support/promises.ts";
import { startTestServices } from "../support/services.ts";
import { AGENT, CUSTOMER, useSimulator } from "../support/simulatorHarness.ts";

const h = useSimulator({}, 300);
const CREATE = { method: "POST", path: "/Calls\\.json$" };
const create = (to = CUSTOMER) => h.client.calls.create({ to, from: AGENT, twiml: "<Response/>" });

describe("twilioFailureOf reads the SDK's errors", () => {
  it("429 / 20429: rate limited, not an outage", async () => {
    h.simulator.injectFault({ kind: "429", match: CREATE });
    const error = await rejectionOf(create());
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(twilioFailureOf(error)).toMatchObject({
      kind: "rate_limited",
      status: 429,
      code: 20429,
    });
    expect(isTwilioOutage(error)).toBe(false);
    // Twilio's code alone says the same.
    expect(twilioFailureOf(Object.assign(new Error("x"), { code: 20429 })).kind).toBe(
      "rate_limited",
    );
  });

  it("404: not found; 21211: rejected for good; neither is an outage", async () => {
    const missing = await rejectionOf(h.client.calls("CA00000000000000000000000000000000").fetch());
    expect(twilioFailureOf(missing)).toMatchObject({ kind: "not_found", status: 404 });
    expect(isTwilioNotFound(missing)).toBe(true);
    const invalid = await rejectionOf(create("+1555"));
    expect(twilioFailureOf(invalid)).toMatchObject({ kind: "rejected", status: 400, code: 21211 });
    expect(isTwilioNotFound(invalid)).toBe(false);
    expect([missing, invalid].some(isTwilioOutage)).toBe(false);
  });

  it("5xx and no answer at all: transient, an outage", async () => {
    h.simulator.injectFault({ kind: "500", match: CREATE });
    const serverError = await rejectionOf(create());
    expect(twilioFailureOf(serverError)).toMatchObject({
      kind: "transient",
      status: 500,
      code: 20500,
    });
    h.simulator.injectFault({ kind: "timeout", match: CREATE });
    const noAnswer = await rejectionOf(create());
    expect(twilioFailureOf(noAnswer)).toMatchObject({ kind: "transient", status: null });
    expect(isTwilioOutage(serverError) && isTwilioOutage(noAnswer)).toBe(true);
  });
});

describe("asEngineError", () => {
  it("turns Twilio's 20429 into a RateLimitedError waiting Retry-After", async () => {
    h.simulator.injectFault({ kind: "429", match: CREATE, retryAfterSeconds: 4 });
    const limited = asEngineError(await rejectionOf(create()), h.client);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ retryAfterMs: 4_000 });
    expect((limited as Error).message).toMatch(/20429/);
    expect(decideRetry({ kind: "by_error_class" }, limited, 1, 5)).toEqual({
      retry: true,
      delayMs: 4_000,
    });
    // The engine no longer knows Twilio's code: only the translation makes it a rate limit.
    expect(classifyError(Object.assign(new Error("Twilio"), { code: 20429 }))).toBe("other");
  });

  it("leaves other failures as they are", async () => {
    h.simulator.injectFault({ kind: "500", match: CREATE });
    const error = await rejectionOf(create());
    expect(asEngineError(error, h.client)).toBe(error);
  });
});

describe("a task that gets Twilio's 20429", () => {
  it("retries after Retry-After, as the engine does for any rate limit", async () => {
    const { services, simulator } = await startTestServices();
    const call = await services.twilio.client.calls.create({
      to: CUSTOMER,
      from: AGENT,
      twiml: "<Response/>",
    });
    const fetchPath = `/Calls/${call.sid}\\.json$`;
    // 3 s: longer than any backoff the engine would pick for a first failure of another kind.
    simulator.injectFault({
      kind: "429",
      retryAfterSeconds: 3,
      match: { method: "GET", path: fetchPath },
    });
    await startTestWorker([getCallStatus], { services });
    const since = Date.now();
    const id = await enqueue(testDb().db, getCallStatus, { call_sid: call.sid });
    const execution = await waitForStatus(id, "succeeded", 15_000);

    expect(execution.attempts).toBe(2);
    const fetches = simulator
      .eventLog()
      .requests.filter(
        (request) =>
          request.method === "GET" &&
          new RegExp(fetchPath).test(request.path) &&
          request.at >= since,
      );
    expect(fetches.map((request) => request.status)).toEqual([429, 200]);
    const [limited, fetched] = fetches;
    expect((fetched?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2_950);
    const history = await testDb()
      .db.selectFrom("execution_attempts")
      .select(["attempt", "outcome", "error_class"])
      .where("execution_id", "=", execution.id)
      .orderBy("attempt")
      .execute();
    expect(history[0]).toMatchObject({ attempt: 1, error_class: "RateLimitedError" });
  }, 20_000);
});
