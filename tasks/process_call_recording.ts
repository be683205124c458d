import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { enqueue } from "../src/engine/enqueue.ts";
import { defaultTranscriptLanguage, transcriptJobKey } from "../src/recordings/jobKeys.ts";
import {
  type ProcessRecordingOptions,
  processCallRecordings,
  processRecording,
} from "../src/recordings/processRecording.ts";
import transcribeRecording from "./transcribe_recording.ts";

const id = z.number().int().positive();

/**
 * Seed 000's `process_call_recording`: downloads a recording from Twilio into the encrypted
 * store (src/recordings/processRecording.ts). Give `recording_id`, or seed 000's `call_id` to
 * process every recording of that call not stored yet. Enqueue it with
 * `jobKey: recordingJobKey(sid)` (src/recordings/jobKeys.ts).
 */
export default defineCallCenterTask({
  name: "process_call_recording",
  lane: "recordings",
  positionalArgs: ["call_id"],
  payload: z
    .object({ recording_id: id.optional(), call_id: id.optional() })
    .strict()
    .refine((p) => (p.recording_id === undefined) !== (p.call_id === undefined), {
      message: "give recording_id or call_id (exactly one)",
      path: ["recording_id"],
    }),
  maxAttempts: 5,
  async run(payload, ctx) {
    const options: ProcessRecordingOptions = {
      onStored: (trx, recording) =>
        enqueue(
          trx,
          transcribeRecording,
          { recording_id: recording.id, language: defaultTranscriptLanguage },
          {
            jobKey: transcriptJobKey(recording.id, defaultTranscriptLanguage),
            parentId: ctx.executionId,
          },
        ),
    };
    return payload.recording_id !== undefined
      ? processRecording(ctx, payload.recording_id, options)
      : processCallRecordings(ctx, payload.call_id as number, options);
  },
});
