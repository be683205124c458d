import { describe, expect, it } from "vitest";
import { lastMonthIn, lastWeekStartIn, yesterdayIn } from "../../src/reports/defaultPeriods.ts";
import {
  dailyReportParameters,
  monthlyReportParameters,
  weeklyReportParameters,
} from "../../src/reports/reportParameters.ts";

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
