import { describe, expect, it } from "vitest";
import { csvCell } from "../../src/shared/csvCell.ts";

describe("csvCell", () => {
  it("escapes text a spreadsheet would run as a formula, and leaves numbers alone", () => {
    for (const formula of ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]) {
      expect(csvCell(formula)).toBe(`'${formula}`);
    }
    expect(csvCell("Support")).toBe("Support");
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell(-3)).toBe(-3);
    expect(csvCell(0.25)).toBe(0.25);
  });
});
