import { describe, expect, it } from "vitest";
import {
  exportCacheKey,
  exportFilters,
  normaliseExportFilters,
} from "../../src/exports/filters.ts";

const october = { start_date: "2023-10-01T00:00:00Z", end_date: "2023-10-31T23:59:59Z" };

/** The fields the refusal of `filters` names. */
function refused(filters: unknown): string[] {
  const result = exportFilters.safeParse(filters);
  if (result.success) return [];
  return result.error.issues.map((issue) => issue.path.join("."));
}

describe("export filters", () => {
  it("needs dates with an offset or Z, naming the field", () => {
    expect(refused({ ...october, start_date: "2023-10-01T00:00:00" })).toEqual(["start_date"]);
    expect(refused({ ...october, end_date: "2023-10-31" })).toEqual(["end_date"]);
    expect(refused({ ...october, start_date: "2023-02-30T00:00:00Z" })).toEqual(["start_date"]);
    expect(refused({ end_date: october.end_date })).toEqual(["start_date"]);
    expect(refused({ ...october, start_date: "2023-10-01T02:00:00+02:00" })).toEqual([]);
  });

  it("needs end_date after start_date", () => {
    expect(refused({ ...october, end_date: october.start_date })).toEqual(["end_date"]);
    expect(refused({ start_date: october.end_date, end_date: october.start_date })).toEqual([
      "end_date",
    ]);
  });

  it("checks each list and value, naming the element", () => {
    expect(refused({ ...october, queue_ids: [1, -2] })).toEqual(["queue_ids.1"]);
    expect(refused({ ...october, queue_ids: [] })).toEqual(["queue_ids"]);
    expect(refused({ ...october, agent_ids: "1" })).toEqual(["agent_ids"]);
    expect(refused({ ...october, status: ["completed", "done"] })).toEqual(["status.1"]);
    expect(refused({ ...october, direction: "out" })).toEqual(["direction"]);
    expect(refused({ ...october, campaign_id: 1.5 })).toEqual(["campaign_id"]);
    expect(refused({ ...october, queue: [1] })).toEqual([""]);
    expect(
      refused({
        ...october,
        queue_ids: [1],
        agent_ids: [2],
        status: ["completed", "no-answer"],
        direction: "outbound",
        campaign_id: "0196f1c4-0000-7000-8000-000000000000",
      }),
    ).toEqual([]);
  });

  it("gives the same cache key to the same request however it is spelled", () => {
    const key = (filters: unknown, format: "csv" | "json" = "csv") =>
      exportCacheKey(normaliseExportFilters(exportFilters.parse(filters)), format);
    const base = key({ ...october, queue_ids: [3, 1, 2], status: ["failed", "completed"] });
    expect(
      key({
        status: ["completed", "failed", "completed"],
        queue_ids: [2, 3, 1, 1],
        end_date: "2023-11-01T01:59:59+02:00",
        start_date: "2023-09-30T19:00:00.000-05:00",
      }),
    ).toBe(base);
    expect(
      key({ ...october, queue_ids: [1, 2, 3], status: ["failed", "completed"] }, "json"),
    ).not.toBe(base);
    expect(key({ ...october, queue_ids: [1, 2] })).not.toBe(
      key({ ...october, queue_ids: [1, 2, 3] }),
    );
    expect(key({ ...october, queue_ids: [1] })).not.toBe(key({ ...october, agent_ids: [1] }));
    expect(key({ ...october, campaign_id: 1 })).not.toBe(key({ ...october, campaign_id: 2 }));
  });
});
