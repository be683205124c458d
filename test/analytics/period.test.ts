import { describe, expect, it } from "vitest";
import {
  isoWeekStart,
  localDateOf,
  localDayRange,
  localHourStart,
  localMonthRange,
  localWeekRange,
  PeriodError,
} from "../../src/analytics/period.ts";

const iso = (range: { from: Date; to: Date }) => [range.from.toISOString(), range.to.toISOString()];
const hours = (range: { from: Date; to: Date }) =>
  (range.to.getTime() - range.from.getTime()) / 3_600_000;

describe("local periods", () => {
  it("makes the day that springs forward 23 hours and the day that falls back 25", () => {
    const spring = localDayRange("2026-03-08", "America/New_York");
    expect(iso(spring)).toEqual(["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]);
    expect(hours(spring)).toBe(23);
    const fall = localDayRange("2026-11-01", "America/New_York");
    expect(iso(fall)).toEqual(["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"]);
    expect(hours(fall)).toBe(25);
    expect(hours(localDayRange("2026-03-29", "Europe/Paris"))).toBe(23);
    expect(iso(localDayRange("2026-06-01", "Asia/Kolkata"))).toEqual([
      "2026-05-31T18:30:00.000Z",
      "2026-06-01T18:30:00.000Z",
    ]);
  });

  it("starts a day at the end of a gap when its midnight does not exist", () => {
    // America/Santiago springs forward at 24:00 on 2026-09-05: 2026-09-06 starts at 01:00.
    const day = localDayRange("2026-09-06", "America/Santiago");
    expect(day.from.toISOString()).toBe("2026-09-06T04:00:00.000Z");
    expect(hours(day)).toBe(23);
  });

  it("makes weeks of seven local days and months of their local days", () => {
    const week = localWeekRange("2026-03-02", "America/New_York");
    expect(iso(week)).toEqual(["2026-03-02T05:00:00.000Z", "2026-03-09T04:00:00.000Z"]);
    expect(hours(week)).toBe(7 * 24 - 1);
    const march = localMonthRange(2026, 3, "America/New_York");
    expect(iso(march)).toEqual(["2026-03-01T05:00:00.000Z", "2026-04-01T04:00:00.000Z"]);
    expect(hours(march)).toBe(31 * 24 - 1);
    expect(iso(localMonthRange(2026, 12, "UTC"))).toEqual([
      "2026-12-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ]);
  });

  it("finds local hours, dates and ISO weeks", () => {
    // 01:30 EST, the second 01:30 of 2026-11-01 in New York.
    expect(localHourStart(new Date("2026-11-01T06:30:00Z"), "America/New_York")).toEqual(
      new Date("2026-11-01T06:00:00Z"),
    );
    expect(localHourStart(new Date("2026-06-01T10:10:00Z"), "Asia/Kolkata")).toEqual(
      new Date("2026-06-01T09:30:00Z"),
    );
    expect(localDateOf(new Date("2026-03-09T03:59:59Z"), "America/New_York")).toBe("2026-03-08");
    expect(isoWeekStart("2026-03-08")).toBe("2026-03-02");
    expect(isoWeekStart("2026-03-09")).toBe("2026-03-09");
    expect(isoWeekStart("2027-01-01")).toBe("2026-12-28");
  });

  it("refuses bad dates, months and time zones, naming the field", () => {
    expect(() => localDayRange("2026-02-30", "UTC")).toThrow(
      new PeriodError("date: 2026-02-30 is not a calendar date"),
    );
    expect(() => localDayRange("8 March", "UTC")).toThrow(/^date: expected a date as YYYY-MM-DD/);
    expect(() => localWeekRange("2026-3-2", "UTC")).toThrow(/^weekStart: expected a date/);
    expect(() => localMonthRange(2026, 13, "UTC")).toThrow(/^month: expected 1 to 12/);
    expect(() => localMonthRange(2026.5, 1, "UTC")).toThrow(/^year: /);
    expect(() => localDayRange("2026-03-08", "Moon/Base")).toThrow(
      /^timeZone: expected an IANA time zone/,
    );
  });
});
