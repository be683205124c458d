import { describe, expect, it } from "vitest";
import { agentReportPayload, monthlyReportPayload } from "../../src/reports/reportParameters.ts";

describe("report payloads", () => {
  it("refuse a month without a year, and a range that ends before it starts, naming the field", () => {
    const month = monthlyReportPayload.safeParse({ month: 3 });
    expect(month.error?.issues.map((issue) => issue.path.join("."))).toEqual(["year"]);
    const range = agentReportPayload.safeParse({
      agent_id: 1,
      date_range: { start: "2026-03-09T00:00:00Z", end: "2026-03-08T00:00:00Z" },
    });
    expect(range.error?.issues.map((issue) => issue.path.join("."))).toEqual(["date_range.end"]);
    const tooLong = agentReportPayload.safeParse({
      agent_id: 1,
      date_range: { start: "2024-01-01T00:00:00Z", end: "2026-01-01T00:00:00Z" },
    });
    expect(tooLong.error?.issues[0]?.message).toBe("date_range may span at most 366 days");
  });
});
