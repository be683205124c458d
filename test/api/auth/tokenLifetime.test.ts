import { describe, expect, it } from "vitest";
import { parseTokenLifetime } from "../../../src/api/auth/tokenLifetime.ts";

describe("parseTokenLifetime", () => {
  it("reads seconds, minutes, hours and days as seconds", () => {
    expect(parseTokenLifetime("3600s")).toBe(3_600);
    expect(parseTokenLifetime("90m")).toBe(5_400);
    expect(parseTokenLifetime("12h")).toBe(43_200);
    expect(parseTokenLifetime(" 30d ")).toBe(2_592_000);
    expect(parseTokenLifetime("36500d")).toBe(36_500 * 86_400);
  });

  it("refuses anything else, saying what it expects", () => {
    for (const value of ["", "30", "0s", "-5m", "1.5h", "2w", "30 d", "36501d", "9999999999s"]) {
      expect(() => parseTokenLifetime(value), value).toThrow(/expected a duration .* 30d/);
    }
  });
});
