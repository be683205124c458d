/**
 * Storage keys: relative, `/`-separated paths such as `2026/11/22/RE123.wav.enc`. The same key
 * names a file under the local folder and an object in the S3 bucket, so it is checked once here
 * for both: no absolute paths, no `.` or `..` segments, no hidden names, no backslashes.
 */
import { InvalidRecordingKeyError } from "./errors.ts";

const MAX_KEY_BYTES = 512;
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Returns `key` if it is a safe storage key; throws `InvalidRecordingKeyError` naming why not. */
export function checkRecordingKey(key: string): string {
  if (typeof key !== "string" || key.length === 0) {
    throw new InvalidRecordingKeyError(String(key), "it is empty");
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new InvalidRecordingKeyError(key, `it is longer than ${MAX_KEY_BYTES} bytes`);
  }
  if (key.startsWith("/") || /^[A-Za-z]:/.test(key) || key.includes("\\")) {
    throw new InvalidRecordingKeyError(key, "it must be a relative path using '/'");
  }
  for (const segment of key.split("/")) {
    if (segment === "..") throw new InvalidRecordingKeyError(key, "it contains '..'");
    if (!SEGMENT.test(segment)) {
      throw new InvalidRecordingKeyError(
        key,
        "each '/'-separated part must be non-empty, not start with '.', and use only " +
          "letters, digits, '.', '_' and '-'",
      );
    }
  }
  return key;
}

/**
 * The conventional key for a Twilio recording: `YYYY/MM/DD/<RecordingSid>.<format>.enc`, dated
 * in UTC by when the call was recorded.
 *
 * @example
 * recordingKeyFor("RE123", new Date("2026-11-22T10:00:00Z")) // "2026/11/22/RE123.wav.enc"
 */
export function recordingKeyFor(recordingSid: string, recordedAt: Date, format = "wav"): string {
  const year = recordedAt.getUTCFullYear();
  const month = String(recordedAt.getUTCMonth() + 1).padStart(2, "0");
  const day = String(recordedAt.getUTCDate()).padStart(2, "0");
  return checkRecordingKey(`${year}/${month}/${day}/${recordingSid}.${format}.enc`);
}
