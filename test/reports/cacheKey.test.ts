import { describe, expect, it } from "vitest";
import { canonicalJson, reportCacheKey } from "../../src/reports/cacheKey.ts";
import {
  agentReportParameters,
  dailyReportParameters,
  weeklyReportParameters,
} from "../../src/reports/reportParameters.ts";

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
