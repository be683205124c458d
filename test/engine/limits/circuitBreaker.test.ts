import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { describe, expect, it, vi } from "vitest";
import { createDb, type Db } from "../../../src/database/pool.ts";
import {
  CircuitOpenError,
  circuitBreakerGet,
  withCircuitBreaker,
} from "../../../src/engine/limits/circuitBreaker.ts";
import { createTestPool, testDb } from "../../support/database.ts";

const slowRecovery = { failureThreshold: 3, recoveryTimeoutMs: 60_000 };
const boom = () => Promise.reject(new Error("service down"));

async function fail(db: Db, name: string, options: object, times: number) {
  for (let i = 0; i < times; i++) {
    await expect(withCircuitBreaker(db, name, options, boom)).rejects.toThrow("service down");
  }
}

async function openError(promise: Promise<unknown>): Promise<CircuitOpenError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CircuitOpenError);
  return error as CircuitOpenError;
}

describe("withCircuitBreaker", () => {
  it("passes results through while closed and reads as closed before first use", async () => {
    const { db } = testDb();
    expect(await circuitBreakerGet(db, "fresh")).toMatchObject({ state: "closed", failures: 0 });
    expect(await withCircuitBreaker(db, "fresh", {}, async () => 42)).toBe(42);
  });

  it("opens after the threshold of consecutive failures and then fails fast", async () => {
    const { db } = testDb();
    await fail(db, "twilio", slowRecovery, 2);
    expect(await circuitBreakerGet(db, "twilio")).toMatchObject({ state: "closed", failures: 2 });
    await fail(db, "twilio", slowRecovery, 1);
    const breaker = await circuitBreakerGet(db, "twilio");
    expect(breaker).toMatchObject({ state: "open", failures: 3 });
    expect(breaker.openedAt).toBeInstanceOf(Date);

    const fn = vi.fn(async () => "called");
    const error = await openError(withCircuitBreaker(db, "twilio", slowRecovery, fn));
    expect(fn).not.toHaveBeenCalled();
    expect(error.breaker).toBe("twilio");
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(error.message).toMatch(/"twilio" is open/);
    expect(await withCircuitBreaker(db, "other", slowRecovery, async () => "ok")).toBe("ok");
  });

  it("counts only consecutive failures: a success resets the count", async () => {
    const { db } = testDb();
    await fail(db, "flaky", slowRecovery, 2);
    await withCircuitBreaker(db, "flaky", slowRecovery, async () => "ok");
    expect(await circuitBreakerGet(db, "flaky")).toMatchObject({ state: "closed", failures: 0 });
    await fail(db, "flaky", slowRecovery, 2);
    expect(await circuitBreakerGet(db, "flaky")).toMatchObject({ state: "closed", failures: 2 });
  });

  it("does not count errors that isFailure excludes", async () => {
    const { db } = testDb();
    const options = { failureThreshold: 1, isFailure: () => false };
    await fail(db, "bad-input", options, 3);
    expect(await circuitBreakerGet(db, "bad-input")).toMatchObject({ state: "closed" });
  });

  it("admits one probe fleet-wide after the recovery time; its success closes", async () => {
    // Long enough that the held probe is not taken for a stale one while the others are refused.
    const options = { failureThreshold: 1, recoveryTimeoutMs: 1_500 };
    const dbs = [createDb(createTestPool(5)), createDb(createTestPool(5))];
    const [first, second] = dbs as [Db, Db];
    await fail(first, "probe-ok", options, 1);
    const waiting = await openError(withCircuitBreaker(second, "probe-ok", options, boom));
    await sleep(waiting.retryAfterMs);

    let finishProbe = () => {};
    const probeGate = new Promise<void>((resolve) => {
      finishProbe = resolve;
    });
    let started = 0;
    let refused = 0;
    const probe = async () => {
      started++;
      await probeGate;
      return "recovered";
    };
    const calls = Array.from({ length: 8 }, (_, i) =>
      withCircuitBreaker(dbs[i % 2] as Db, "probe-ok", options, probe).then(
        (value) => ({ value }),
        (error: unknown) => {
          refused++;
          return { error };
        },
      ),
    );
    // Hold the probe until every other caller has been turned away.
    await vi.waitFor(() => expect(started + refused).toBe(8));
    expect(await circuitBreakerGet(first, "probe-ok")).toMatchObject({ state: "half_open" });
    finishProbe();
    const outcomes = await Promise.all(calls);
    expect(started).toBe(1);
    expect(outcomes.filter((outcome) => "value" in outcome)).toEqual([{ value: "recovered" }]);
    for (const outcome of outcomes.filter((outcome) => "error" in outcome)) {
      expect((outcome as { error: unknown }).error).toBeInstanceOf(CircuitOpenError);
    }
    expect(await circuitBreakerGet(first, "probe-ok")).toMatchObject({
      state: "closed",
      failures: 0,
      openedAt: null,
    });
    expect(await withCircuitBreaker(second, "probe-ok", options, async () => "normal")).toBe(
      "normal",
    );
  });

  it("reopens for a new recovery time when the probe fails", async () => {
    const { db } = testDb();
    const options = { failureThreshold: 1, recoveryTimeoutMs: 200 };
    await fail(db, "probe-fails", options, 1);
    const firstOpenedAt = (await circuitBreakerGet(db, "probe-fails")).openedAt as Date;
    await sleep(
      (await openError(withCircuitBreaker(db, "probe-fails", options, boom))).retryAfterMs,
    );

    await fail(db, "probe-fails", options, 1);
    const reopened = await circuitBreakerGet(db, "probe-fails");
    expect(reopened.state).toBe("open");
    expect(reopened.openedAt?.getTime()).toBeGreaterThan(firstOpenedAt.getTime() + 150);
    const fn = vi.fn(async () => "called");
    const error = await openError(withCircuitBreaker(db, "probe-fails", options, fn));
    expect(fn).not.toHaveBeenCalled();
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(200);
  });

  it("lets another caller probe when a probe never reports back", async () => {
    const { db } = testDb();
    const options = { failureThreshold: 1, recoveryTimeoutMs: 60_000 };
    await fail(db, "lost-probe", options, 1);
    await sql`update circuit_breakers
              set state = 'half_open', probe_holder = 'crashed-worker',
                  probe_started_at = clock_timestamp()
              where name = 'lost-probe'`.execute(db);
    await openError(withCircuitBreaker(db, "lost-probe", options, async () => "too early"));
    await sql`update circuit_breakers set probe_started_at = probe_started_at - interval '61 seconds'
              where name = 'lost-probe'`.execute(db);
    expect(await withCircuitBreaker(db, "lost-probe", options, async () => "probed")).toBe(
      "probed",
    );
    expect(await circuitBreakerGet(db, "lost-probe")).toMatchObject({ state: "closed" });
  });

  it("refuses bad options, naming the field, without calling fn", async () => {
    const { db } = testDb();
    const fn = vi.fn(async () => "called");
    await expect(withCircuitBreaker(db, "bad", { failureThreshold: -1 }, fn)).rejects.toThrow(
      /failureThreshold must be at least 1/,
    );
    await expect(withCircuitBreaker(db, "bad", { recoveryTimeoutMs: 0 }, fn)).rejects.toThrow(
      /recoveryTimeoutMs must be at least 1/,
    );
    await expect(withCircuitBreaker(db, "bad", { failureThreshold: 2.5 }, fn)).rejects.toThrow(
      /failureThreshold must be a whole number/,
    );
    await expect(withCircuitBreaker(db, "", {}, fn)).rejects.toThrow(/name must not be empty/);
    expect(fn).not.toHaveBeenCalled();
  });
});
