import { beforeAll, describe, expect, it } from "vitest";
import { campaignFigures } from "../../src/analytics/campaignFigures.ts";
import { localDayRange } from "../../src/analytics/period.ts";
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
