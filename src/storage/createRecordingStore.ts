/**
 * Builds the configured `RecordingStore`: a local folder or an S3 bucket, always wrapped in
 * encryption. Options come from config (`RECORDING_STORAGE_BACKEND`, `RECORDING_STORAGE_DIR`,
 * `RECORDING_ENCRYPTION_KEY`, `AWS_*`); this module reads no environment itself. The AWS SDK
 * (~35 MB resident once loaded) is imported only when the backend is `s3`.
 *
 * @example
 * const store = await createRecordingStore({
 *   backend: "local",
 *   encryptionKey: parseEncryptionKey(process.env.RECORDING_ENCRYPTION_KEY ?? ""),
 * });
 * const { sha256, bytes } = await store.put(recordingKeyFor("RE123", new Date()), audio);
 */
import type { KeyObject } from "node:crypto";
import { LocalStore } from "./localStore.ts";
import { EncryptedRecordingStore, type RecordingStore } from "./recordingStore.ts";
import type { S3StoreOptions } from "./s3Store.ts";

export const recordingStorageBackends = ["local", "s3"] as const;
export type RecordingStorageBackend = (typeof recordingStorageBackends)[number];

export interface RecordingStoreOptions {
  backend: RecordingStorageBackend;
  /** Folder for the local backend. Default `.switchboard/recordings`. */
  localDir?: string;
  /** Required for the S3 backend. */
  s3?: S3StoreOptions;
  /** From `parseEncryptionKey(RECORDING_ENCRYPTION_KEY)`. */
  encryptionKey: KeyObject;
}

export async function createRecordingStore(
  options: RecordingStoreOptions,
): Promise<RecordingStore> {
  if (!options.encryptionKey) {
    throw new RangeError("RECORDING_ENCRYPTION_KEY is required to store recordings");
  }
  switch (options.backend) {
    case "local":
      return new EncryptedRecordingStore(
        new LocalStore(options.localDir === undefined ? {} : { directory: options.localDir }),
        options.encryptionKey,
      );
    case "s3": {
      if (!options.s3?.bucket) {
        throw new RangeError(
          'the "s3" recording backend needs a bucket (AWS_STORAGE_BUCKET_NAME) and a region ' +
            "(AWS_S3_REGION_NAME)",
        );
      }
      const { S3Store } = await import("./s3Store.ts");
      return new EncryptedRecordingStore(new S3Store(options.s3), options.encryptionKey);
    }
    default:
      throw new RangeError(
        `RECORDING_STORAGE_BACKEND must be one of ${recordingStorageBackends.join(", ")}; ` +
          `got ${JSON.stringify(options.backend)}`,
      );
  }
}
