import { beforeAll, describe, expect, it } from "vitest";
import { agentFigures } from "../../src/analytics/agentFigures.ts";
import { localDayRange, localMonthRange } from "../../src/analytics/period.ts";
import { testDb } from "../support/database.ts";
import { type DataSet, insertDataSet, timeZone } from "./dataset.ts";

const db = () => testDb().db;
let data: DataSet;

beforeAll(async () => {
  data = await insertDataSet(db());
});

const idle = { handled: 0, talkSeconds: 0, holdSeconds: 0, wrapUpSeconds: 0 };

describe("agentFigures", () => {
  it("clips each state to the local day, across midnight on both sides", async () => {
    const rows = await agentFigures(db(), {
      range: localMonthRange(2026, 3, timeZone),
      timeZone,
      byDay: true,
    });
    expect(rows).toEqual([
      {
        agentId: data.agentA,
        agentName: "Ada",
        day: "2026-03-07",
        handled: 1,
        talkSeconds: 30,
        holdSeconds: 0,
        wrapUpSeconds: 0,
        averageHandleTimeSeconds: 30,
        availableSeconds: 3600,
        busySeconds: 0,
        wrapUpStateSeconds: 0,
        loggedInSeconds: 3600,
        occupancy: 0,
        utilization: 0,
      },
      {
        agentId: data.agentA,
        agentName: "Ada",
        day: "2026-03-08",
        handled: 2,
        talkSeconds: 300,
        holdSeconds: 20,
        wrapUpSeconds: 40,
        averageHandleTimeSeconds: 180,
        availableSeconds: 4500,
        // 600 s on c1 and 1,800 s busy without a call (time away, not handling)
        busySeconds: 2400,
        wrapUpStateSeconds: 300,
        loggedInSeconds: 7200,
        occupancy: 900 / 5400,
        utilization: 900 / 7200,
      },
      {
        agentId: data.agentB,
        agentName: "Ben",
        day: "2026-03-08",
        handled: 2,
        talkSeconds: 110,
        holdSeconds: 10,
        wrapUpSeconds: 20,
        averageHandleTimeSeconds: 70,
        availableSeconds: 1800,
        busySeconds: 1800,
        wrapUpStateSeconds: 0,
        loggedInSeconds: 3600,
        occupancy: 0.5,
        utilization: 0.5,
      },
      {
        agentId: data.agentB,
        agentName: "Ben",
        day: "2026-03-09",
        handled: 1,
        talkSeconds: 10,
        holdSeconds: 0,
        wrapUpSeconds: 0,
        averageHandleTimeSeconds: 10,
        availableSeconds: 0,
        busySeconds: 1800,
        wrapUpStateSeconds: 600,
        loggedInSeconds: 2400,
        occupancy: 1,
        utilization: 1,
      },
    ]);
  });

  it("sums a month per agent, with a row of nulls for an idle agent asked for", async () => {
    const rows = await agentFigures(db(), {
      range: localMonthRange(2026, 3, timeZone),
      timeZone,
      agentIds: [data.agentB, data.agentA, data.idleAgent],
    });
    expect(rows).toEqual([
      {
        agentId: data.agentA,
        agentName: "Ada",
        day: null,
        handled: 3,
        talkSeconds: 330,
        holdSeconds: 20,
        wrapUpSeconds: 40,
        averageHandleTimeSeconds: 130,
        availableSeconds: 8100,
        busySeconds: 2400,
        wrapUpStateSeconds: 300,
        loggedInSeconds: 10800,
        occupancy: 900 / 9000,
        utilization: 900 / 10800,
      },
      {
        agentId: data.agentB,
        agentName: "Ben",
        day: null,
        handled: 3,
        talkSeconds: 120,
        holdSeconds: 10,
        wrapUpSeconds: 20,
        averageHandleTimeSeconds: 50,
        availableSeconds: 1800,
        busySeconds: 3600,
        wrapUpStateSeconds: 600,
        loggedInSeconds: 6000,
        occupancy: 4200 / 6000,
        utilization: 4200 / 6000,
      },
      {
        agentId: data.idleAgent,
        agentName: "Cy",
        day: null,
        ...idle,
        averageHandleTimeSeconds: null,
        availableSeconds: 0,
        busySeconds: 0,
        wrapUpStateSeconds: 0,
        loggedInSeconds: 0,
        occupancy: null,
        utilization: null,
      },
    ]);
  });

  it("counts only the part of a state inside a range that cuts it", async () => {
    // Ben is busy on c6 from 03:30Z to 04:30Z; 03:45Z–04:15Z crosses local midnight.
    const rows = await agentFigures(db(), {
      range: { from: new Date("2026-03-09T03:45:00Z"), to: new Date("2026-03-09T04:15:00Z") },
      timeZone,
      byDay: true,
      agentIds: [data.agentB],
    });
    expect(rows.map((row) => [row.day, row.busySeconds, row.loggedInSeconds, row.handled])).toEqual(
      [
        ["2026-03-08", 900, 900, 0],
        ["2026-03-09", 900, 900, 1],
      ],
    );
  });

  it("has no rows for a day without activity", async () => {
    const rows = await agentFigures(db(), {
      range: localDayRange("2026-03-10", timeZone),
      timeZone,
    });
    expect(rows).toEqual([]);
  });
});
