import { beforeAll, describe, expect, it } from "vitest";
import { campaignFigures } from "../../src/analytics/campaignFigures.ts";
import { localDayRange, localMonthRange } from "../../src/analytics/period.ts";
import { refreshRollups } from "../../src/analytics/refreshRollups.ts";
import { testDb } from "../support/database.ts";
import { insertDataSet, insertOutbound, timeZone } from "./dataset.ts";

const db = () => testDb().db;
let campaignId: number;

beforeAll(async () => {
  await insertDataSet(db());
  const campaign = await db()
    .insertInto("campaigns")
    .values({
      name: "Renewals",
      from_number: "+15550900001",
      max_concurrent_calls: 2,
      total_calls: 8,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  campaignId = Number(campaign.id);
  const outcomes = ["completed", "voicemail", "busy", "no-answer", "failed", "completed", null];
  for (const [index, outcome] of outcomes.entries()) {
    await insertOutbound(db(), {
      campaignId,
      at: `2026-03-08T1${index}:00:00Z`,
      outcome: outcome as "completed" | null,
    });
  }
  // The next local day: outside.
  await insertOutbound(db(), { campaignId, at: "2026-03-09T04:00:00Z", outcome: "completed" });
  await insertOutbound(db(), { campaignId: null, at: "2026-03-08T20:00:00Z", outcome: "busy" });
});

describe("campaignFigures", () => {
  it("counts dialed, connected and each outcome per campaign, the calls outside any last", async () => {
    const rows = await campaignFigures(db(), { range: localDayRange("2026-03-08", timeZone) });
    expect(rows).toEqual([
      {
        campaignId,
        campaignName: "Renewals",
        dialed: 7,
        connected: 2,
        connectRate: 2 / 7,
        outcomes: { completed: 2, busy: 1, "no-answer": 1, failed: 1, voicemail: 1 },
      },
      {
        campaignId: null,
        campaignName: null,
        dialed: 1,
        connected: 0,
        connectRate: 0,
        outcomes: { completed: 0, busy: 1, "no-answer": 0, failed: 0, voicemail: 0 },
      },
    ]);
  });

  it("reads held hours from the rollup, of the time zone given or holding most", async () => {
    const day = localDayRange("2026-03-08", timeZone);
    const direct = await campaignFigures(db(), { range: day });
    const counts = await refreshRollups(db(), {
      range: localMonthRange(2026, 3, timeZone),
      timeZone,
    });
    // Renewals in seven hours of 03-08 and one of 03-09; the call outside any campaign.
    expect(counts.campaignHours).toBe(9);
    expect(await campaignFigures(db(), { range: day })).toEqual(direct);
    expect(await campaignFigures(db(), { range: day, timeZone })).toEqual(direct);
    // A late call in a held hour shows only once the hour is refreshed.
    await insertOutbound(db(), { campaignId, at: "2026-03-08T10:30:00Z", outcome: "completed" });
    const [stale] = await campaignFigures(db(), { range: day });
    expect(stale?.dialed).toBe(7);
    await refreshRollups(db(), {
      range: { from: new Date("2026-03-08T10:00:00Z"), to: new Date("2026-03-08T11:00:00Z") },
      timeZone,
    });
    const [fresh] = await campaignFigures(db(), { range: day });
    expect(fresh).toMatchObject({ dialed: 8, connected: 3, connectRate: 3 / 8 });
    // Another time zone's hours hold nothing: read from calls.
    const [utc] = await campaignFigures(db(), { range: day, timeZone: "UTC" });
    expect(utc?.dialed).toBe(8);
  });

  it("has no rows for a range without outbound calls, and refuses a reversed range", async () => {
    expect(await campaignFigures(db(), { range: localDayRange("2026-03-10", timeZone) })).toEqual(
      [],
    );
    const day = localDayRange("2026-03-08", timeZone);
    await expect(campaignFigures(db(), { range: { from: day.to, to: day.from } })).rejects.toThrow(
      /range\.to: must be after range\.from/,
    );
  });
});
