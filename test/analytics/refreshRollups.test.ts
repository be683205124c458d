import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { agentFigures } from "../../src/analytics/agentFigures.ts";
import { callQueueFigures } from "../../src/analytics/callQueueFigures.ts";
import { localDayRange, localMonthRange } from "../../src/analytics/period.ts";
import { refreshRollups } from "../../src/analytics/refreshRollups.ts";
import { testDb } from "../support/database.ts";
import { type DataSet, insertDataSet, insertInbound, timeZone } from "./dataset.ts";

const db = () => testDb().db;
let data: DataSet;
const march = localMonthRange(2026, 3, timeZone);
const springDay = localDayRange("2026-03-08", timeZone);

/** Every figure the reports read over March, in each grouping. */
async function marchFigures() {
  return {
    hours: await callQueueFigures(db(), {
      range: march,
      timeZone,
      by: { period: "hour", callQueue: true },
    }),
    days: await callQueueFigures(db(), { range: march, timeZone, by: { period: "day" } }),
    weeks: await callQueueFigures(db(), { range: march, timeZone, by: { period: "week" } }),
    total: await callQueueFigures(db(), { range: march, timeZone, by: { callQueue: true } }),
    agentDays: await agentFigures(db(), { range: march, timeZone, byDay: true }),
    agents: await agentFigures(db(), { range: march, timeZone }),
  };
}

const rollupRows = async () => ({
  hours: (
    await sql`select * from call_queue_hours order by time_zone, hour_start, call_queue_id`.execute(
      db(),
    )
  ).rows,
  days: (await sql`select * from agent_days order by time_zone, day_start, agent_id`.execute(db()))
    .rows,
});

const springOffered = async () =>
  (await callQueueFigures(db(), { range: springDay, timeZone, by: {} }))[0]?.offered;

beforeAll(async () => {
  data = await insertDataSet(db());
});

describe("refreshRollups", () => {
  it("rolls up a month into figures equal to those computed from calls", async () => {
    const direct = await marchFigures();
    const counts = await refreshRollups(db(), { range: march, timeZone });
    // Call queue × hour with calls: c10, c1, c2, 03:00 (Sales and Support), c8, c7, c9.
    expect(counts).toEqual({ callQueueHours: 8, agentDays: 4, campaignHours: 0 });
    const periods = await db()
      .selectFrom("rollup_periods")
      .select(["rollup", (eb) => eb.fn.countAll<number>().as("periods")])
      .groupBy("rollup")
      .orderBy("rollup")
      .execute();
    // March 2026 in New York: 31 days, 743 hours (one lost to DST).
    expect(periods).toEqual([
      { rollup: "agent_day", periods: 31 },
      { rollup: "hour", periods: 743 },
    ]);
    expect(await marchFigures()).toEqual(direct);
  });

  it("gives the same rows when run twice", async () => {
    const before = await rollupRows();
    expect(await refreshRollups(db(), { range: march, timeZone })).toEqual({
      callQueueHours: 8,
      agentDays: 4,
      campaignHours: 0,
    });
    expect(await rollupRows()).toEqual(before);
  });

  it("lets two refreshes of the same days take turns", async () => {
    const before = await rollupRows();
    const both = await Promise.all([
      refreshRollups(db(), { range: springDay, timeZone }),
      refreshRollups(db(), { range: springDay, timeZone }),
    ]);
    expect(both[0]).toEqual(both[1]);
    expect(await rollupRows()).toEqual(before);
  });

  it("reads held hours from the rollup: a late call shows once its hour is refreshed", async () => {
    await insertInbound(db(), {
      callQueueId: data.sales,
      at: "2026-03-08T07:50:00Z",
      wait: 15,
      answered: true,
      agentId: data.agentB,
      talk: 40,
    });
    expect(await springOffered()).toBe(8);
    const counts = await refreshRollups(db(), {
      range: { from: new Date("2026-03-08T07:55:00Z"), to: new Date("2026-03-08T07:56:00Z") },
      timeZone,
    });
    // The hour's two call queues, and the day of each agent.
    expect(counts).toEqual({ callQueueHours: 2, agentDays: 2, campaignHours: 0 });
    const [hour] = await callQueueFigures(db(), {
      range: { from: new Date("2026-03-08T07:00:00Z"), to: new Date("2026-03-08T08:00:00Z") },
      timeZone,
      by: { period: "hour" },
      callQueueIds: [data.sales],
    });
    expect(hour).toMatchObject({ period: "2026-03-08T03:00", offered: 4, answered: 2 });
    expect(await springOffered()).toBe(9);
    const [ben] = await agentFigures(db(), {
      range: springDay,
      timeZone,
      agentIds: [data.agentB],
    });
    expect(ben?.handled).toBe(3);
  });

  it("reads from calls a period rolled up before it ended, or under other thresholds", async () => {
    await sql`update rollup_periods set refreshed_at = period_end - interval '1 second'
              where period_start = ${new Date("2026-03-08T12:00:00Z")}`.execute(db());
    await insertInbound(db(), { callQueueId: data.support, at: "2026-03-08T12:30:00Z", wait: 60 });
    expect(await springOffered()).toBe(10);
    const [other] = await callQueueFigures(db(), {
      range: springDay,
      timeZone,
      by: {},
      thresholds: { shortAbandonSeconds: 0, serviceLevelSeconds: 20 },
    });
    expect(other).toMatchObject({ offered: 10, shortAbandoned: 0, abandoned: 4 });
  });

  it("keeps the rollups of each time zone apart", async () => {
    const utcDay = { from: new Date("2026-03-08T00:00:00Z"), to: new Date("2026-03-09T00:00:00Z") };
    const [direct] = await callQueueFigures(db(), { range: utcDay, timeZone: "UTC", by: {} });
    expect(await refreshRollups(db(), { range: utcDay, timeZone: "UTC" })).toMatchObject({
      callQueueHours: 6,
    });
    const [rolled] = await callQueueFigures(db(), { range: utcDay, timeZone: "UTC", by: {} });
    expect(rolled).toEqual(direct);
    // 03-08 in UTC: c10, c1–c6, c8 and the two late calls; c7 is 03-09 in UTC.
    expect(rolled?.offered).toBe(10);
    expect(await springOffered()).toBe(10);
  });

  it("rolls up both 01:00 hours of the day that falls back", async () => {
    const fallDay = localDayRange("2026-11-01", timeZone);
    expect(await refreshRollups(db(), { range: fallDay, timeZone })).toEqual({
      callQueueHours: 2,
      // Ada took d1 and d2.
      agentDays: 1,
      campaignHours: 0,
    });
    const hours = await sql<{ hour_start: Date; local_hour: string; offered: number }>`
      select hour_start, to_char(local_hour, 'HH24:MI') as local_hour, offered
      from call_queue_hours where time_zone = ${timeZone} and hour_start >= ${fallDay.from}
      order by hour_start`.execute(db());
    expect(hours.rows).toEqual([
      { hour_start: new Date("2026-11-01T05:00:00Z"), local_hour: "01:00", offered: 1 },
      { hour_start: new Date("2026-11-01T06:00:00Z"), local_hour: "01:00", offered: 1 },
    ]);
    const periods = await db()
      .selectFrom("rollup_periods")
      .select((eb) => eb.fn.countAll<number>().as("hours"))
      .where("rollup", "=", "hour")
      .where("time_zone", "=", timeZone)
      .where("period_start", ">=", fallDay.from)
      .where("period_start", "<", fallDay.to)
      .executeTakeFirstOrThrow();
    expect(periods.hours).toBe(25);
  });

  it("refuses a reversed range and an unknown time zone", async () => {
    await expect(
      refreshRollups(db(), { range: { from: march.to, to: march.from }, timeZone }),
    ).rejects.toThrow(/range\.to: must be after range\.from/);
    await expect(refreshRollups(db(), { range: march, timeZone: "Nowhere/City" })).rejects.toThrow(
      /timeZone: expected an IANA time zone/,
    );
  });
});
