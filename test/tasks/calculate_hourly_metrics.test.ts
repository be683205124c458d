import { beforeAll, describe, expect, it } from "vitest";
import { callQueueFigures } from "../../src/analytics/callQueueFigures.ts";
import { localHourStart } from "../../src/analytics/period.ts";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { loadCronItems } from "../../src/engine/crontab.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { runTask } from "../../src/testing/runTask.ts";
import calculateHourlyMetrics from "../../tasks/calculate_hourly_metrics.ts";
import { tasks } from "../../tasks/index.ts";
import { insertDataSet, insertInbound, timeZone } from "../analytics/dataset.ts";
import { testDb } from "../support/database.ts";
import { startTestServices } from "../support/services.ts";

const db = () => testDb().db;
let services: CallCenterServices;
let sales: number;

beforeAll(async () => {
  const started = await startTestServices();
  services = {
    ...started.services,
    reporting: {
      ...started.services.reporting,
      timeZone,
      metricThresholds: { shortAbandonSeconds: 5, serviceLevelSeconds: 20 },
    },
  };
  sales = (await insertDataSet(db())).sales;
});

describe("calculate_hourly_metrics", () => {
  it("rolls up the local hour holding `hour`, in REPORT_TIMEZONE", async () => {
    const { result } = await runTask(
      db(),
      calculateHourlyMetrics,
      { hour: "2026-03-08T03:59:00-04:00" },
      { services },
    );
    expect(result).toEqual({
      from: "2026-03-08T07:00:00.000Z",
      to: "2026-03-08T08:00:00.000Z",
      callQueueHours: 2,
      campaignHours: 0,
    });
    const rows = await db()
      .selectFrom("call_queue_hours")
      .select(["call_queue_id", "offered", "answered_within_threshold"])
      .where("time_zone", "=", timeZone)
      .orderBy("call_queue_id")
      .execute();
    expect(rows.map((row) => [row.offered, row.answered_within_threshold])).toEqual([
      [3, 1],
      [1, 1],
    ]);
  });

  it("by default rolls up the previous and the current local hour", async () => {
    const now = new Date();
    const currentHour = localHourStart(now, timeZone);
    await insertInbound(db(), {
      callQueueId: sales,
      at: new Date(currentHour.getTime() - 30 * 60_000).toISOString(),
      wait: 12,
      answered: true,
      talk: 30,
    });
    const { result } = await runTask(db(), calculateHourlyMetrics, {}, { services });
    expect(result.from).toBe(new Date(currentHour.getTime() - 3_600_000).toISOString());
    expect(result.to).toBe(new Date(currentHour.getTime() + 3_600_000).toISOString());
    expect(result.callQueueHours).toBe(1);
    const [previous] = await callQueueFigures(db(), {
      range: { from: new Date(currentHour.getTime() - 3_600_000), to: currentHour },
      timeZone,
      by: { period: "hour" },
    });
    expect(previous).toMatchObject({ offered: 1, serviceLevel: 1 });
  });

  it("refuses an hour without its offset, naming the field", () => {
    const parsed = calculateHourlyMetrics.payload.safeParse({ hour: "2026-03-08T03:00:00" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/^hour must be an ISO 8601 date-time/);
  });

  it("is in the crontab with every other task it names known", async () => {
    const items = await loadCronItems("crontab", new TaskRegistry(tasks));
    expect(items.map((item) => item.task)).toEqual(
      expect.arrayContaining(["calculate_hourly_metrics", "update_all_agent_metrics"]),
    );
  });
});
