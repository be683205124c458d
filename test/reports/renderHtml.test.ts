import { describe, expect, it } from "vitest";
import { formatFigure } from "../../src/reports/renderHtml.ts";

describe("figures on the HTML page", () => {
  it("are counts grouped, rates in percent, durations in (h:)m:ss, nothing as a dash", () => {
    expect(formatFigure(12_345, "count")).toBe("12,345");
    expect(formatFigure(0.6, "rate")).toBe("60.0%");
    expect(formatFigure(0.05926, "rate")).toBe("5.9%");
    expect(formatFigure(14.5, "seconds")).toBe("0:15");
    expect(formatFigure(140, "seconds")).toBe("2:20");
    expect(formatFigure(3725, "seconds")).toBe("1:02:05");
    expect(formatFigure(-16, "seconds")).toBe("-0:16");
    expect(formatFigure(null, "rate")).toBe("—");
  });
});
