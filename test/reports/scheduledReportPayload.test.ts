import { describe, expect, it } from "vitest";
import { scheduledReportPayload } from "../../src/reports/scheduledReportPayload.ts";

const ny = "America/New_York";

describe("scheduledReportPayload", () => {
  it("writes in the period before the scheduled minute's local day, week and month", () => {
    // 03:00 EDT on the spring-forward day (the 02:00 run, moved past the gap).
    expect(scheduledReportPayload("daily", {}, new Date("2026-03-08T07:00:00Z"), ny)).toEqual({
      date_str: "2026-03-07",
      time_zone: ny,
    });
    // 02:00 EST the day after the fall-back day: the 25-hour day.
    expect(scheduledReportPayload("daily", {}, new Date("2026-11-02T07:00:00Z"), ny)).toEqual({
      date_str: "2026-11-01",
      time_zone: ny,
    });
    expect(scheduledReportPayload("weekly", {}, new Date("2026-11-02T08:00:00Z"), ny)).toEqual({
      week_start_str: "2026-10-26",
      time_zone: ny,
    });
    expect(scheduledReportPayload("monthly", {}, new Date("2026-01-01T09:00:00Z"), ny)).toEqual({
      year: 2025,
      month: 12,
      time_zone: ny,
    });
  });

  it("keeps what the crontab line gives", () => {
    expect(
      scheduledReportPayload(
        "daily",
        { date_str: "2026-01-05", email_recipients: ["ops@example.com"], time_zone: "Asia/Tokyo" },
        new Date("2026-03-08T07:00:00Z"),
        ny,
      ),
    ).toEqual({
      date_str: "2026-01-05",
      email_recipients: ["ops@example.com"],
      time_zone: "Asia/Tokyo",
    });
    // Refused payloads stay as they are, for the run to name the field.
    expect(
      scheduledReportPayload("monthly", { year: 2026 }, new Date("2026-03-08T07:00:00Z"), ny),
    ).toEqual({ year: 2026 });
    expect(scheduledReportPayload("daily", {}, new Date(), undefined)).toEqual({});
  });
});
