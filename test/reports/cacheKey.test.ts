import { describe, expect, it } from "vitest";
import { canonicalJson, reportCacheKey } from "../../src/reports/cacheKey.ts";
import { lastMonthIn, lastWeekStartIn, yesterdayIn } from "../../src/reports/defaultPeriods.ts";
import {
  agentReportParameters,
  agentReportPayload,
  dailyReportParameters,
  monthlyReportParameters,
  monthlyReportPayload,
  weeklyReportParameters,
} from "../../src/reports/reportParameters.ts";
import { csvCell } from "../../src/shared/csvCell.ts";

describe("report cache keys", () => {
  it("are equal for equal parameters, whatever their order or how instants were written", () => {
    const a = agentReportParameters(
      {
        agent_id: 7,
        date_range: { start: "2026-03-08T00:00:00-05:00", end: "2026-03-09T00:00:00Z" },
      },
      "America/New_York",
    );
    const b = agentReportParameters(
      {
        date_range: { end: "2026-03-08T19:00:00-05:00", start: "2026-03-08T05:00:00.000Z" },
        agent_id: 7,
      },
      "America/New_York",
    );
    expect(a).toEqual(b);
    expect(reportCacheKey(a)).toBe(reportCacheKey(b));
    expect(reportCacheKey(a)).toMatch(/^[0-9a-f]{32}$/);
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it("differ when the day, the type or the time zone differs", () => {
    const keys = new Set([
      reportCacheKey(dailyReportParameters({ date_str: "2026-03-08" }, "UTC")),
      reportCacheKey(dailyReportParameters({ date_str: "2026-03-09" }, "UTC")),
      reportCacheKey(dailyReportParameters({ date_str: "2026-03-08" }, "Europe/Paris")),
      reportCacheKey(weeklyReportParameters({ week_start_str: "2026-03-08" }, "UTC")),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe("default periods of scheduled reports", () => {
  // 2026-03-02T03:30Z is Monday 03:30 in UTC but still Sunday March 1st in New York.
  const now = new Date("2026-03-02T03:30:00Z");

  it("are yesterday, last week's Monday and last month in the report time zone", () => {
    expect(yesterdayIn("UTC", now)).toBe("2026-03-01");
    expect(yesterdayIn("America/New_York", now)).toBe("2026-02-28");
    expect(lastWeekStartIn("UTC", now)).toBe("2026-02-23");
    expect(lastWeekStartIn("America/New_York", now)).toBe("2026-02-16");
    expect(lastMonthIn("UTC", now)).toEqual({ year: 2026, month: 2 });
    expect(lastMonthIn("America/New_York", new Date("2026-01-01T03:00:00Z"))).toEqual({
      year: 2025,
      month: 11,
    });
    expect(lastMonthIn("UTC", new Date("2026-01-01T03:00:00Z"))).toEqual({ year: 2025, month: 12 });
    expect(dailyReportParameters({}, "UTC", now)).toEqual({
      report_type: "daily",
      date_str: "2026-03-01",
      time_zone: "UTC",
    });
    expect(weeklyReportParameters({}, "UTC", now).report_type).toBe("weekly");
    expect(monthlyReportParameters({}, "UTC", now)).toEqual({
      report_type: "monthly",
      year: 2026,
      month: 2,
      time_zone: "UTC",
    });
  });
});

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
