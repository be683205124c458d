import { describe, expect, it } from "vitest";
import { getCallStatus } from "../../src/calls/callControl.ts";
import { dialCall } from "../../src/calls/dialing.ts";
import { PermanentError, SnoozeError } from "../../src/engine/errors.ts";
import { CircuitOpenError, circuitBreakerGet } from "../../src/engine/limits/circuitBreaker.ts";
import { classifyError } from "../../src/engine/retryStrategies.ts";
import { TWILIO_CIRCUIT_BREAKER } from "../../src/twilio/circuitBreaker.ts";
import { db } from "../support/engine.ts";
import { rejectionOf } from "../support/promises.ts";
import { startTestServices } from "../support/services.ts";

const CREATE = { method: "POST", path: "/Calls\\.json$" };
const RECOVERY_MS = 1_500;

let intents = 0;
async function intent(to: string) {
  const row = await db()
    .insertInto("calls")
    .values({
      intent_key: `test:breaker-${++intents}`,
      direction: "outbound-api",
      from_number: "",
      to_number: to,
    })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
  return row.public_id;
}

describe("Twilio's circuit breaker", () => {
  it("opens after consecutive 5xx, fails dials fast without a request, closes after its cool-down", async () => {
    const { services, simulator } = await startTestServices();
    services.twilio.circuitBreaker = { failureThreshold: 3, recoveryTimeoutMs: RECOVERY_MS };
    const twilio = services.twilio;
    // Waits out the account's calls-per-second pacing, as a worker would, so that every dial
    // reaches the breaker.
    const dialPaced = async (callId: string): Promise<unknown> => {
      for (;;) {
        try {
          return await dialCall(db(), twilio, { callId });
        } catch (error) {
          if (!(error instanceof SnoozeError) || error.cause instanceof CircuitOpenError)
            throw error;
          await new Promise((resolve) => setTimeout(resolve, error.delayMs));
        }
      }
    };
    const dial = async (to: string) => dialPaced(await intent(to));
    const breaker = () => circuitBreakerGet(db(), TWILIO_CIRCUIT_BREAKER);

    // Two outages, then Twilio refusing a bad number: the refusal shows Twilio is up.
    simulator.injectFault({ kind: "500", count: 2, match: CREATE });
    for (const to of ["+15552300001", "+15552300002"]) {
      expect(await rejectionOf(dial(to))).toMatchObject({ name: "AmbiguousDialError" });
    }
    expect(await breaker()).toMatchObject({ state: "closed", failures: 2 });
    expect(await rejectionOf(dial("+1555"))).toBeInstanceOf(PermanentError);
    expect(await breaker()).toMatchObject({ state: "closed", failures: 0 });

    // Three outages in a row open it.
    simulator.injectFault({ kind: "500", count: 3, match: CREATE });
    for (const to of ["+15552300003", "+15552300004", "+15552300005"]) {
      expect(await rejectionOf(dial(to))).toMatchObject({ name: "AmbiguousDialError" });
    }
    expect(await breaker()).toMatchObject({ state: "open", failures: 3 });

    // Open: the dial fails at once, no request reaches Twilio, and the intent is left undialed.
    const requestsBefore = simulator.eventLog().requests.length;
    const heldId = await intent("+15552300006");
    const held = await rejectionOf(dialPaced(heldId));
    expect(held).toBeInstanceOf(SnoozeError);
    expect((held as SnoozeError).cause).toBeInstanceOf(CircuitOpenError);
    expect((held as SnoozeError).delayMs).toBeGreaterThan(0);
    expect((held as SnoozeError).delayMs).toBeLessThanOrEqual(RECOVERY_MS);
    const heldRow = await db()
      .selectFrom("calls")
      .select(["dialed_at", "dial_attempts", "sid"])
      .where("public_id", "=", heldId)
      .executeTakeFirstOrThrow();
    expect(heldRow).toEqual({ dialed_at: null, dial_attempts: 0, sid: null });
    // Other Twilio requests fail fast too, with an error the engine retries after the wait.
    const fetchError = await rejectionOf(getCallStatus(db(), twilio, "CA".padEnd(34, "0")));
    expect(fetchError).toBeInstanceOf(CircuitOpenError);
    expect(classifyError(fetchError)).toBe("rate_limit");
    expect(simulator.eventLog().requests).toHaveLength(requestsBefore);

    // After the cool-down one probe goes through; its success closes the breaker.
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_MS + 100));
    const placed = await dialPaced(heldId);
    expect(placed).toMatchObject({ outcome: "dialed", call_sid: expect.stringMatching(/^CA/) });
    expect(simulator.eventLog().requests.length).toBe(requestsBefore + 1);
    expect(await breaker()).toMatchObject({ state: "closed", failures: 0 });
    await simulator.whenIdle();
  });

  it("on the last attempt, waits for the breaker instead of failing a call it could not look for", async () => {
    const { services, simulator } = await startTestServices();
    services.twilio.circuitBreaker = { failureThreshold: 1, recoveryTimeoutMs: RECOVERY_MS };
    const twilio = services.twilio;
    const callId = await intent("+15552300011");

    // The dial request's answer is lost, and that outage opens the breaker: the lookup for the
    // call it may have placed cannot be made, so the intent must not be given up.
    simulator.injectFault({ kind: "500", count: 1, match: CREATE });
    const held = await rejectionOf(dialCall(db(), twilio, { callId, lastAttempt: true }));
    expect(held).toBeInstanceOf(SnoozeError);
    expect((held as SnoozeError).cause).toBeInstanceOf(CircuitOpenError);
    const row = await db()
      .selectFrom("calls")
      .select(["status", "sid"])
      .where("public_id", "=", callId)
      .executeTakeFirstOrThrow();
    expect(row.status).not.toBe("failed");

    // Once a probe may go through, the lookup runs first: Twilio never placed the call, so it
    // is dialed, once.
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_MS + 100));
    expect(await dialCall(db(), twilio, { callId, lastAttempt: true })).toMatchObject({
      outcome: "dialed",
    });
    expect(simulator.eventLog().calls).toHaveLength(1);
    await simulator.whenIdle();
  });
});
