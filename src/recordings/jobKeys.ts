/**
 * Job keys of the recording tasks. While an execution holding a key is live, enqueueing with the
 * same key returns it instead of adding a job, so sweeps and webhooks never pile up duplicates.
 * Enqueue `process_call_recording` and `transcribe_recording` with these keys wherever you can.
 */

/** `recording:<RecordingSid>`, for `process_call_recording`. */
export function recordingJobKey(recordingSid: string): string {
  return `recording:${recordingSid}`;
}

/** `transcript:<recording id>:<language>`, for `transcribe_recording`. */
export function transcriptJobKey(recordingId: number, language: string): string {
  return `transcript:${recordingId}:${language}`;
}

/** The task names these modules look for in the executions ledger (as seed 000 names them). */
export const recordingTaskNames = {
  process: "process_call_recording",
  transcribe: "transcribe_recording",
} as const;

/** Voice Intelligence's default, and `transcribe_recording`'s. */
export const defaultTranscriptLanguage = "en-US";
