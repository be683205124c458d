/** Errors the recording storage layer throws; each names what was wrong. */

/** The stored bytes are not a valid `SBE1` file for this key: tampered, truncated or a wrong key. */
export class RecordingDecryptionError extends Error {
  override name = "RecordingDecryptionError";
}

/** No recording is stored under `key`. */
export class RecordingNotFoundError extends Error {
  override name = "RecordingNotFoundError";
  readonly key: string;
  constructor(key: string) {
    super(`no recording is stored under key "${key}"`);
    this.key = key;
  }
}

/** A storage key that could escape the store or is not a plain relative path. */
export class InvalidRecordingKeyError extends RangeError {
  override name = "InvalidRecordingKeyError";
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`key ${JSON.stringify(key)} is not a valid recording key: ${reason}`);
    this.key = key;
  }
}
