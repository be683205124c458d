import { beforeAll, describe, expect, it } from "vitest";
import { localDayRange } from "../../src/analytics/period.ts";
import { recordingFigures } from "../../src/analytics/recordingFigures.ts";
import { testDb } from "../support/database.ts";
import { timeZone } from "./dataset.ts";

const db = () => testDb().db;

beforeAll(async () => {
  const recordings = await db()
    .insertInto("recordings")
    .values(
      [
        ["stored", "2026-03-08T05:30:00Z"],
        ["archived", "2026-03-09T03:59:59Z"],
        ["stored", "2026-03-09T04:00:00Z"],
        ["pending", null],
      ].map(([status, storedAt], index) => ({
        sid: `RE${index}`,
        call_sid: `CA${index}`,
        status: status as "stored",
        stored_at: storedAt ?? null,
      })),
    )
    .returning("id")
    .execute();
  const [first, second, third] = recordings.map((row) => Number(row.id));
  await db()
    .insertInto("transcripts")
    .values([
      // Two languages of one recording count once.
      {
        recording_id: first as number,
        language: "en",
        status: "completed",
        completed_at: "2026-03-08T06:00:00Z",
      },
      {
        recording_id: first as number,
        language: "es",
        status: "completed",
        completed_at: "2026-03-08T07:00:00Z",
      },
      { recording_id: second as number, language: "en", status: "failed", completed_at: null },
      {
        recording_id: third as number,
        language: "en",
        status: "completed",
        completed_at: "2026-03-09T05:00:00Z",
      },
    ])
    .execute();
});

describe("recordingFigures", () => {
  it("counts recordings stored and transcribed within the range", async () => {
    expect(await recordingFigures(db(), { range: localDayRange("2026-03-08", timeZone) })).toEqual({
      stored: 2,
      transcribed: 1,
    });
    expect(await recordingFigures(db(), { range: localDayRange("2026-03-09", timeZone) })).toEqual({
      stored: 1,
      transcribed: 1,
    });
    expect(await recordingFigures(db(), { range: localDayRange("2026-03-10", timeZone) })).toEqual({
      stored: 0,
      transcribed: 0,
    });
  });
});
