import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { archiveOldRecordings } from "../src/recordings/archiveRecordings.ts";

/**
 * Seed 000's `archive_old_recordings` (daily, 00:30): recordings stored longer than
 * RECORDING_RETENTION_DAYS lose their audio from the recording store and become `archived`;
 * the row and transcripts stay (src/recordings/archiveRecordings.ts).
 */
export default defineCallCenterTask({
  name: "archive_old_recordings",
  lane: "maintenance",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ limit: z.number().int().min(1).max(100_000).optional() }).passthrough(),
  run: (payload, ctx) =>
    archiveOldRecordings(ctx.db, {
      store: ctx.services.recordings.store,
      retentionDays: ctx.services.recordings.retentionDays,
      ...(payload.limit ? { limit: payload.limit } : {}),
    }),
});
