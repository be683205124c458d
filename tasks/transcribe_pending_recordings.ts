import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { sweepPendingTranscripts } from "../src/recordings/sweepTranscripts.ts";
import transcribeRecording from "./transcribe_recording.ts";

/**
 * Seed 000's `transcribe_pending_recordings` (every 10 minutes): enqueues `transcribe_recording`
 * for stored recordings without a transcript, when ENABLE_TRANSCRIPTION is on
 * (src/recordings/sweepTranscripts.ts).
 */
export default defineCallCenterTask({
  name: "transcribe_pending_recordings",
  lane: "recordings",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({ limit: z.number().int().min(1).max(10_000).optional() }).passthrough(),
  maxAttempts: 1,
  run: (payload, ctx) =>
    sweepPendingTranscripts(ctx.db, {
      transcribeTask: transcribeRecording,
      enabled: ctx.services.recordings.enableTranscription,
      parentId: ctx.executionId,
      ...(payload.limit ? { limit: payload.limit } : {}),
    }),
});
