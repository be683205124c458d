import { z } from "zod";
import { defineTask } from "../src/engine/task.ts";
import { sweepPendingRecordings } from "../src/recordings/sweepRecordings.ts";
import processCallRecording from "./process_call_recording.ts";

/**
 * Seed 000's `process_pending_recordings` (every 3 minutes): enqueues `process_call_recording`
 * for recordings left pending, failed with runs left, or orphaned while processing
 * (src/recordings/sweepRecordings.ts).
 */
export default defineTask({
  name: "process_pending_recordings",
  lane: "recordings",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ limit: z.number().int().min(1).max(10_000).optional() }).passthrough(),
  maxAttempts: 1,
  run: (payload, ctx) =>
    sweepPendingRecordings(ctx.db, {
      processTask: processCallRecording,
      parentId: ctx.executionId,
      ...(payload.limit ? { limit: payload.limit } : {}),
    }),
});
