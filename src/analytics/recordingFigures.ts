/**
 * Recordings over a range: `stored` counts recordings that reached the recording store within it
 * (by `stored_at`, including those archived since), `transcribed` the recordings with a
 * transcript completed within it (by `completed_at`; a recording once however many languages).
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { checkRange, type ReportRange } from "./period.ts";

export async function recordingFigures(
  db: Db,
  options: { range: ReportRange },
): Promise<{ stored: number; transcribed: number }> {
  const { range } = options;
  checkRange(range);
  const row = await sql<{ stored: number; transcribed: number }>`
    select
      (select count(*)::int from recordings
       where stored_at >= ${range.from} and stored_at < ${range.to}) as stored,
      (select count(distinct recording_id)::int from transcripts
       where status = 'completed'
         and completed_at >= ${range.from} and completed_at < ${range.to}) as transcribed`.execute(
    db,
  );
  return row.rows[0] ?? { stored: 0, transcribed: 0 };
}
