import { describe, expect, it } from "vitest";
import { findUnstorableText, unstorableReason } from "../../src/database/storableText.ts";

describe("storable text", () => {
  it("names NUL characters and unpaired surrogates, and passes everything else", () => {
    expect(unstorableReason("a\u0000b")).toMatch(/NUL/);
    expect(unstorableReason("\ud800")).toMatch(/surrogate/);
    expect(unstorableReason("x\udfff")).toMatch(/surrogate/);
    expect(unstorableReason("\ud83d\udcde ☎ é")).toBeUndefined();
    expect(unstorableReason("")).toBeUndefined();
  });

  it("finds the first bad string or key in a JSON value, with its path", () => {
    expect(findUnstorableText({ a: [1, "ok", { b: "x\u0000" }] })).toEqual({
      path: ["a", 2, "b"],
      message: expect.stringMatching(/NUL/),
    });
    expect(findUnstorableText({ ok: 1, "k\u0000": 2 })).toEqual({
      path: ["k\u0000"],
      message: expect.stringMatching(/^its key contains a NUL/),
    });
    expect(findUnstorableText({ a: [1, null, true, { b: "fine" }] })).toBeUndefined();
  });

  it("walks a value nested 10,000 deep without exhausting the stack", () => {
    let value: unknown = "bottom\u0000";
    for (let depth = 0; depth < 10_000; depth++) value = [value];
    expect(findUnstorableText(value)?.path).toHaveLength(10_000);
  });
});
