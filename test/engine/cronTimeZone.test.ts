import { describe, expect, it } from "vitest";
import { digestOf, instantOfDigest } from "../../src/engine/cronTimeZone.ts";
import { type CrontabEntry, parseCrontabEntries } from "../../src/engine/crontab.ts";
import {
  dailyReportParameters,
  monthlyReportParameters,
  weeklyReportParameters,
} from "../../src/reports/reportParameters.ts";
import { localIsoString } from "../../src/shared/wallClock.ts";

const MINUTE = 60_000;

function entry(line: string, localTimeZone: string): CrontabEntry {
  const [parsed] = parseCrontabEntries(line, { localTimeZone });
  if (!parsed) throw new Error(`no entry in ${line}`);
  return parsed;
}

/** Every minute in [from, to) at which the entry fires, as local ISO times in its zone. */
function firings(line: string, timeZone: string, from: string, to: string): string[] {
  const e = entry(line, timeZone);
  const found: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += MINUTE) {
    if (e.firesAt(t)) found.push(localIsoString(new Date(t), timeZone));
  }
  return found;
}

describe("crontab entries in local time across DST", () => {
  it("runs 02:30 New York once on the spring-forward day, at 03:00 right after the gap", () => {
    expect(
      firings(
        "30 2 * * * t ?tz=local",
        "America/New_York",
        "2026-03-07T00:00:00Z",
        "2026-03-10T00:00:00Z",
      ),
    ).toEqual([
      "2026-03-07T02:30:00-05:00",
      "2026-03-08T03:00:00-04:00",
      "2026-03-09T02:30:00-04:00",
    ]);
  });

  it("runs 01:30 New York once on the fall-back day, at its first occurrence (EDT)", () => {
    expect(
      firings(
        "30 1 * * * t ?tz=local",
        "America/New_York",
        "2026-10-31T00:00:00Z",
        "2026-11-03T00:00:00Z",
      ),
    ).toEqual([
      "2026-10-31T01:30:00-04:00",
      "2026-11-01T01:30:00-04:00",
      "2026-11-02T01:30:00-05:00",
    ]);
  });

  it("runs 02:30 Berlin once on both change days (skipped in March, repeated in October)", () => {
    expect(
      firings(
        "30 2 * * * t ?tz=local",
        "Europe/Berlin",
        "2026-03-28T00:00:00Z",
        "2026-03-31T00:00:00Z",
      ),
    ).toEqual([
      "2026-03-28T02:30:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-30T02:30:00+02:00",
    ]);
    expect(
      firings(
        "30 2 * * * t ?tz=local",
        "Europe/Berlin",
        "2026-10-24T00:00:00Z",
        "2026-10-27T00:00:00Z",
      ),
    ).toEqual([
      "2026-10-24T02:30:00+02:00",
      "2026-10-25T02:30:00+02:00",
      "2026-10-26T02:30:00+01:00",
    ]);
  });

  it("runs every-hour entries by elapsed time: 23 runs on the short day, 25 on the long one", () => {
    const spring = firings(
      "5 * * * * t ?tz=local",
      "America/New_York",
      "2026-03-08T05:00:00Z",
      "2026-03-09T04:00:00Z",
    );
    expect(spring).toHaveLength(23);
    expect(spring.slice(1, 3)).toEqual(["2026-03-08T01:05:00-05:00", "2026-03-08T03:05:00-04:00"]);
    const fall = firings(
      "5 * * * * t ?tz=local",
      "America/New_York",
      "2026-11-01T04:00:00Z",
      "2026-11-02T05:00:00Z",
    );
    expect(fall).toHaveLength(25);
    expect(fall.slice(1, 3)).toEqual(["2026-11-01T01:05:00-04:00", "2026-11-01T01:05:00-05:00"]);
  });

  it("runs a daily local entry exactly once on every local day of a year, in both zones", () => {
    for (const timeZone of ["America/New_York", "Europe/Berlin"]) {
      for (const time of ["0 2", "30 2", "30 1", "0 3"]) {
        const all = firings(
          `${time} * * * t ?tz=local`,
          timeZone,
          "2025-12-31T12:00:00Z",
          "2027-01-01T12:00:00Z",
        );
        const days = all.map((local) => local.slice(0, 10)).filter((day) => day.startsWith("2026"));
        expect(days, `${time} in ${timeZone}`).toHaveLength(365);
        expect(new Set(days).size).toBe(365);
      }
    }
  });

  it("reads lines without tz= in UTC", () => {
    expect(
      firings("0 2 * * * t", "America/New_York", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
    ).toEqual(["2026-03-07T21:00:00-05:00"]);
  });

  it("gives the report tasks the previous local day, week and month on the change days", () => {
    const timeZone = "America/Los_Angeles";
    const runs = (line: string, from: string, to: string) => {
      const e = entry(line, timeZone);
      const found: Date[] = [];
      for (let t = Date.parse(from); t < Date.parse(to); t += MINUTE) {
        if (e.firesAt(t)) found.push(new Date(t));
      }
      return found;
    };
    const daily = runs(
      "0 2 * * * generate_daily_report ?tz=local",
      "2026-03-08T00:00:00Z",
      "2026-03-10T00:00:00Z",
    );
    expect(daily.map((at) => dailyReportParameters({}, timeZone, at))).toEqual([
      { report_type: "daily", date_str: "2026-03-07", time_zone: timeZone },
      { report_type: "daily", date_str: "2026-03-08", time_zone: timeZone },
    ]);
    const weekly = runs(
      "0 3 * * 1 generate_weekly_report ?tz=local",
      "2026-11-01T00:00:00Z",
      "2026-11-10T00:00:00Z",
    );
    expect(weekly.map((at) => weeklyReportParameters({}, timeZone, at))).toEqual([
      { report_type: "weekly", week_start_str: "2026-10-26", time_zone: timeZone },
      { report_type: "weekly", week_start_str: "2026-11-02", time_zone: timeZone },
    ]);
    const monthly = runs(
      "0 4 1 * * generate_monthly_report ?tz=local",
      "2026-12-31T00:00:00Z",
      "2027-01-02T00:00:00Z",
    );
    expect(monthly.map((at) => monthlyReportParameters({}, timeZone, at))).toEqual([
      { report_type: "monthly", year: 2026, month: 12, time_zone: timeZone },
    ]);
    // 04:00 in Los Angeles is 12:00 UTC: the same line in UTC would run at 20:00 the day before.
    expect(monthly[0]?.toISOString()).toBe("2027-01-01T12:00:00.000Z");
  });
});

describe("the cron item graphile-worker schedules", () => {
  it("matches graphile-worker's UTC minutes the same as the entry", () => {
    const e = entry("30 2 * * * t ?tz=local", "Europe/Berlin");
    const now = Date.parse("2026-03-29T00:00:00Z");
    const matched: string[] = [];
    for (let t = now; t < now + 86_400_000; t += MINUTE) {
      // A digest has no year: the matcher takes the one nearest now.
      expect(instantOfDigest(digestOf(t), now)).toBe(t);
      if (e.firesAt(instantOfDigest(digestOf(t), now))) matched.push(new Date(t).toISOString());
    }
    expect(matched).toEqual(["2026-03-29T01:00:00.000Z"]);
    expect(e.item.match(digestOf(Date.now() - (Date.now() % MINUTE)))).toBe(
      e.firesAt(Date.now() - (Date.now() % MINUTE)),
    );
  });

  it("places a digest in the year nearest now, across New Year", () => {
    const now = Date.parse("2027-01-01T00:10:00Z");
    expect(
      new Date(instantOfDigest(digestOf(Date.parse("2026-12-31T23:59:00Z")), now)).toISOString(),
    ).toBe("2026-12-31T23:59:00.000Z");
  });
});

describe("the tz= option", () => {
  it("is removed before graphile-worker reads the line; other options and the payload stay", () => {
    const e = entry('0 2 * * * t ?fill=1h&tz=local&id=nightly {"a": 1}', "Europe/Berlin");
    expect(e).toMatchObject({
      identifier: "nightly",
      task: "t",
      schedule: "0 2 * * *",
      timeZone: "Europe/Berlin",
    });
    expect(e.item.options.backfillPeriod).toBe(3_600_000);
    expect(e.item.payload).toEqual({ a: 1 });
    expect(entry("0 2 * * * t ?tz=Asia/Tokyo", "Europe/Berlin").timeZone).toBe("Asia/Tokyo");
  });

  it("names the line of a bad zone or a bad line", () => {
    expect(() => parseCrontabEntries("# x\n0 2 * * * t ?tz=Mars/Olympus", {})).toThrow(
      'crontab line 2: tz must be "local" or an IANA time zone such as Europe/Paris, got "Mars/Olympus"',
    );
    expect(() => parseCrontabEntries("0 2 * * * t ?tz=local&nope=1", {})).toThrow(/line 1/);
    expect(() => parseCrontabEntries("0 2 * * * t ?tz=%E0", {})).toThrow(/got "%E0"/);
  });
});
