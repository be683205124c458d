import { beforeAll, describe, expect, it } from "vitest";
import { callQueueFigures, callQueueFiguresByEach } from "../../src/analytics/callQueueFigures.ts";
import {
  localDayRange,
  localMonthRange,
  localWeekRange,
  PeriodError,
} from "../../src/analytics/period.ts";
import { testDb } from "../support/database.ts";
import { type DataSet, insertDataSet, insertOutbound, timeZone } from "./dataset.ts";

const db = () => testDb().db;
let data: DataSet;

beforeAll(async () => {
  data = await insertDataSet(db());
  // Outbound calls are not offered to a call queue.
  await insertOutbound(db(), {
    campaignId: null,
    at: "2026-03-08T07:10:00Z",
    outcome: "completed",
  });
});

const springDay = localDayRange("2026-03-08", timeZone);

describe("callQueueFigures", () => {
  it("computes every inbound metric of a 23-hour day, short abandons apart", async () => {
    const [total, ...rest] = await callQueueFigures(db(), { range: springDay, timeZone, by: {} });
    expect(rest).toEqual([]);
    expect(total).toEqual({
      period: null,
      periodStart: null,
      callQueueId: null,
      callQueueName: null,
      offered: 8,
      answered: 4,
      abandoned: 2,
      shortAbandoned: 1,
      abandonmentRate: 2 / 7,
      // c1 (10 s ≤ 20), c5 (20 s ≤ 20), c6 (25 s ≤ Support's 30)
      serviceLevel: 3 / 7,
      averageSpeedOfAnswerSeconds: 20,
      longestWaitSeconds: 40,
      averageHandleTimeSeconds: 125,
      talkSeconds: 410,
      holdSeconds: 30,
      wrapUpSeconds: 60,
    });
  });

  it("applies each call queue's own service-level threshold", async () => {
    const rows = await callQueueFigures(db(), {
      range: springDay,
      timeZone,
      by: { callQueue: true },
    });
    expect(rows).toEqual([
      {
        period: null,
        periodStart: null,
        callQueueId: data.sales,
        callQueueName: "Sales",
        offered: 5,
        answered: 3,
        abandoned: 1,
        shortAbandoned: 1,
        abandonmentRate: 1 / 4,
        serviceLevel: 2 / 4,
        averageSpeedOfAnswerSeconds: 55 / 3,
        longestWaitSeconds: 40,
        averageHandleTimeSeconds: 140,
        talkSeconds: 360,
        holdSeconds: 20,
        wrapUpSeconds: 40,
      },
      {
        period: null,
        periodStart: null,
        callQueueId: data.support,
        callQueueName: "Support",
        offered: 3,
        answered: 1,
        abandoned: 1,
        shortAbandoned: 0,
        abandonmentRate: 1 / 3,
        serviceLevel: 1 / 3,
        averageSpeedOfAnswerSeconds: 25,
        longestWaitSeconds: 25,
        averageHandleTimeSeconds: 80,
        talkSeconds: 50,
        holdSeconds: 10,
        wrapUpSeconds: 20,
      },
    ]);
  });

  it("takes other thresholds when given: no short abandons, 10 s service level", async () => {
    const [total] = await callQueueFigures(db(), {
      range: springDay,
      timeZone,
      by: {},
      thresholds: { shortAbandonSeconds: 0, serviceLevelSeconds: 10 },
    });
    expect(total).toMatchObject({
      offered: 8,
      abandoned: 3,
      shortAbandoned: 0,
      abandonmentRate: 3 / 8,
      // c1 at 10 s under Sales' default; Support keeps its own 30 s (c6)
      serviceLevel: 2 / 8,
    });
  });

  it("labels local hours of the day that springs forward: no 02:00", async () => {
    const rows = await callQueueFigures(db(), {
      range: springDay,
      timeZone,
      by: { period: "hour" },
    });
    expect(
      rows.map((row) => [row.period, row.periodStart?.toISOString(), row.offered, row.answered]),
    ).toEqual([
      ["2026-03-08T00:00", "2026-03-08T05:00:00.000Z", 1, 1],
      ["2026-03-08T01:00", "2026-03-08T06:00:00.000Z", 1, 1],
      ["2026-03-08T03:00", "2026-03-08T07:00:00.000Z", 4, 2],
      ["2026-03-08T08:00", "2026-03-08T12:00:00.000Z", 1, 0],
      ["2026-03-08T23:00", "2026-03-09T03:00:00.000Z", 1, 0],
    ]);
    const three = rows[2];
    expect(three?.serviceLevel).toBe(2 / 3);
    expect(three?.abandonmentRate).toBe(1 / 3);
  });

  it("keeps the two 01:00 hours of the day that falls back apart", async () => {
    const fallDay = localDayRange("2026-11-01", timeZone);
    expect(fallDay.to.getTime() - fallDay.from.getTime()).toBe(25 * 3_600_000);
    const rows = await callQueueFigures(db(), {
      range: fallDay,
      timeZone,
      by: { period: "hour", callQueue: true },
    });
    expect(
      rows.map((row) => [
        row.period,
        row.periodStart?.toISOString(),
        row.callQueueName,
        row.averageSpeedOfAnswerSeconds,
        row.serviceLevel,
      ]),
    ).toEqual([
      ["2026-11-01T01:00", "2026-11-01T05:00:00.000Z", "Sales", 10, 1],
      ["2026-11-01T01:00", "2026-11-01T06:00:00.000Z", "Sales", 30, 0],
    ]);
    const [day] = await callQueueFigures(db(), { range: fallDay, timeZone, by: { period: "day" } });
    expect(day).toMatchObject({
      period: "2026-11-01",
      periodStart: new Date("2026-11-01T04:00:00Z"),
      offered: 2,
      answered: 2,
      averageSpeedOfAnswerSeconds: 20,
      serviceLevel: 1 / 2,
    });
  });

  it("groups a month by local day and two weeks by ISO week", async () => {
    const days = await callQueueFigures(db(), {
      range: localMonthRange(2026, 3, timeZone),
      timeZone,
      by: { period: "day" },
    });
    expect(days.map((row) => [row.period, row.periodStart?.toISOString(), row.offered])).toEqual([
      ["2026-03-07", "2026-03-07T05:00:00.000Z", 1],
      ["2026-03-08", "2026-03-08T05:00:00.000Z", 8],
      ["2026-03-09", "2026-03-09T04:00:00.000Z", 1],
    ]);
    const weeks = await callQueueFigures(db(), {
      range: {
        from: localWeekRange("2026-03-02", timeZone).from,
        to: localWeekRange("2026-03-09", timeZone).to,
      },
      timeZone,
      by: { period: "week" },
    });
    expect(
      weeks.map((row) => [row.period, row.periodStart?.toISOString(), row.offered, row.answered]),
    ).toEqual([
      ["2026-03-02", "2026-03-02T05:00:00.000Z", 9, 5],
      ["2026-03-09", "2026-03-09T04:00:00.000Z", 1, 1],
    ]);
  });

  it("gives several groupings of one range from one read, each as its own call would", async () => {
    const range = localMonthRange(2026, 3, timeZone);
    const groupings = [
      {},
      { callQueue: true },
      { period: "day" as const },
      { period: "hour" as const, callQueue: true },
    ];
    const each = await callQueueFiguresByEach(db(), { range, timeZone, by: groupings });
    const separately = await Promise.all(
      groupings.map((by) => callQueueFigures(db(), { range, timeZone, by })),
    );
    expect(each).toEqual(separately);
    expect(each.slice(0, 3).map((rows) => rows.length)).toEqual([1, 2, 3]);
    expect(each[0]?.[0]?.offered).toBe(10);
    expect(each[1]?.map((row) => row.callQueueName)).toEqual(["Sales", "Support"]);
    expect(await callQueueFiguresByEach(db(), { range, timeZone, by: [] })).toEqual([]);
  });

  it("counts a partial hour from calls, and only the call queues asked for", async () => {
    const rows = await callQueueFigures(db(), {
      range: { from: new Date("2026-03-08T07:30:00Z"), to: new Date("2026-03-08T07:45:00Z") },
      timeZone,
      by: { callQueue: true },
      callQueueIds: [data.support],
    });
    expect(rows.map((row) => [row.callQueueName, row.offered, row.answered])).toEqual([
      ["Support", 1, 1],
    ]);
  });

  it("gives one total row of zeros and null rates for a range without calls", async () => {
    const [total, ...rest] = await callQueueFigures(db(), {
      range: localDayRange("2026-01-15", timeZone),
      timeZone,
      by: {},
    });
    expect(rest).toEqual([]);
    expect(total).toMatchObject({
      offered: 0,
      abandonmentRate: null,
      serviceLevel: null,
      averageSpeedOfAnswerSeconds: null,
      longestWaitSeconds: null,
      averageHandleTimeSeconds: null,
    });
  });

  it("refuses an empty range and an unknown time zone, naming the field", async () => {
    await expect(
      callQueueFigures(db(), {
        range: { from: springDay.to, to: springDay.from },
        timeZone,
        by: {},
      }),
    ).rejects.toThrow(new PeriodError("range.to: must be after range.from"));
    await expect(
      callQueueFigures(db(), { range: springDay, timeZone: "Mars/Olympus", by: {} }),
    ).rejects.toThrow(/timeZone: expected an IANA time zone/);
  });
});
