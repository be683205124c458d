import { describe, expect, it } from "vitest";
import { z } from "zod";
import { RateLimitedError, ValidationError } from "../../src/engine/errors.ts";
import { classifyError, decideRetry } from "../../src/engine/retryStrategies.ts";

const connectionError = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

describe("classifyError", () => {
  it("sorts errors into seed 000's classes", () => {
    expect(classifyError(connectionError)).toBe("connection");
    expect(classifyError(new Error("wrapped", { cause: connectionError }))).toBe("connection");
    expect(classifyError(new RateLimitedError(1_500))).toBe("rate_limit");
    expect(classifyError(Object.assign(new Error("Too Many Requests"), { status: 429 }))).toBe(
      "rate_limit",
    );
    expect(classifyError(Object.assign(new Error("Slow down"), { retryAfterMs: 300 }))).toBe(
      "rate_limit",
    );
    expect(classifyError(new ValidationError("bad number"))).toBe("validation");
    expect(classifyError(z.string().safeParse(1).error)).toBe("validation");
    expect(classifyError(new Error("boom"))).toBe("other");
  });
});

describe("decideRetry", () => {
  const byClass = { kind: "by_error_class" } as const;

  it("never retries past the last attempt or with strategy none", () => {
    expect(decideRetry(byClass, new Error("x"), 3, 3)).toEqual({ retry: false });
    expect(decideRetry({ kind: "none" }, new Error("x"), 1, 5)).toEqual({ retry: false });
  });

  it("backs off exponentially with jitter for connection errors", () => {
    const delays = [1, 2, 3, 4].map((attempt) => {
      const decision = decideRetry(byClass, connectionError, attempt, 10);
      if (!decision.retry) throw new Error("expected a retry");
      return decision.delayMs;
    });
    delays.forEach((delay, i) => {
      const ceiling = 2_000 * 2 ** i;
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
  });

  it("honours Retry-After for rate-limit errors", () => {
    expect(decideRetry(byClass, new RateLimitedError(7_000), 1, 5)).toEqual({
      retry: true,
      delayMs: 7_000,
    });
    const limited = Object.assign(new Error("Too Many Requests"), {
      status: 429,
      retryAfterMs: 3_000,
    });
    expect(decideRetry(byClass, limited, 1, 5)).toEqual({ retry: true, delayMs: 3_000 });
    expect(decideRetry({ kind: "rate_limit_aware" }, new RateLimitedError(250), 2, 5)).toEqual({
      retry: true,
      delayMs: 250,
    });
  });

  it("retries a validation error once", () => {
    expect(decideRetry(byClass, new ValidationError("bad"), 1, 5).retry).toBe(true);
    expect(decideRetry(byClass, new ValidationError("bad"), 2, 5)).toEqual({ retry: false });
  });

  it("waits a fixed delay when asked to", () => {
    expect(decideRetry({ kind: "fixed", delayMs: 42 }, new Error("x"), 1, 2)).toEqual({
      retry: true,
      delayMs: 42,
    });
  });

  it("caps exponential delays", () => {
    const decision = decideRetry(
      { kind: "exponential", baseMs: 1_000, maxMs: 5_000, jitter: false },
      new Error("x"),
      20,
      30,
    );
    expect(decision).toEqual({ retry: true, delayMs: 5_000 });
  });
});
