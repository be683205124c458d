import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { defaultTranscriptLanguage } from "../src/recordings/jobKeys.ts";
import { transcribeRecording } from "../src/recordings/transcribeRecording.ts";

/**
 * Seed 000's `transcribe_recording(recording_id, language='en-US')`: a Voice Intelligence
 * transcript of a stored recording, snoozing (no attempt spent) until Twilio has finished it
 * (src/recordings/transcribeRecording.ts). Enqueue it with
 * `jobKey: transcriptJobKey(recording_id, language)`.
 */
export default defineCallCenterTask({
  name: "transcribe_recording",
  lane: "recordings",
  positionalArgs: ["recording_id", "language"],
  payload: z
    .object({
      recording_id: z.number().int().positive(),
      language: z
        .string()
        .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
          message: "expected a language tag such as en-US",
        })
        .default(defaultTranscriptLanguage),
    })
    .strict(),
  maxAttempts: 5,
  run: (payload, ctx) =>
    transcribeRecording(ctx, { recordingId: payload.recording_id, language: payload.language }),
});
