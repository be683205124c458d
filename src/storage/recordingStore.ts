/**
 * Where call recordings live, encrypted at rest.
 *
 * Two layers, so no backend can store plaintext by mistake:
 * - a `BlobStore` (`LocalStore`, `S3Store`) keeps opaque bytes under a key and never sees a key
 *   to decrypt them;
 * - `EncryptedRecordingStore` is the only `RecordingStore`: it encrypts on `put` and decrypts on
 *   `get` (format in `encryption.ts`), and measures the plaintext's size and SHA-256 on the way in.
 *
 * Build one with `createRecordingStore` (from config), not by hand.
 */
import type { KeyObject } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeFileAtomically } from "./atomicFile.ts";
import { decryptStream, encryptStream, StreamDigest } from "./encryption.ts";
import { checkRecordingKey } from "./recordingKey.ts";

/** What `put` stored. */
export interface StoredRecording {
  key: string;
  /** Plaintext size in bytes. */
  bytes: number;
  /** Lowercase hex SHA-256 of the plaintext: record it next to the key to check a copy later. */
  sha256: string;
  /** Size of the stored (encrypted) object: `bytes` plus 33. */
  storedBytes: number;
}

export interface RecordingStore {
  /** Which backend holds the bytes. */
  readonly backend: "local" | "s3";
  /**
   * Encrypts `plaintext` as it streams and stores it under `key`, replacing any recording there.
   * A failure (of the source or the backend) stores nothing: no partial object is left behind.
   */
  put(key: string, plaintext: Readable): Promise<StoredRecording>;
  /**
   * The decrypted recording. Rejects with `RecordingNotFoundError` when there is none. The stream
   * ends only once the authentication tag verified; on tampering or a wrong key it errors with
   * `RecordingDecryptionError` instead, so treat bytes as final only when it ended.
   */
  get(key: string): Promise<Readable>;
  /** Removes the recording; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Releases the backend's connections (S3 sockets); the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Stores opaque bytes under a key. Backends only ever receive ciphertext. */
export interface BlobStore {
  readonly backend: "local" | "s3";
  /** Stores all of `body` under `key` or nothing; returns the number of bytes stored. */
  write(key: string, body: Readable): Promise<number>;
  /** Rejects with `RecordingNotFoundError` when nothing is stored under `key`. */
  read(key: string): Promise<Readable>;
  remove(key: string): Promise<void>;
  has(key: string): Promise<boolean>;
  close(): Promise<void>;
}

export class EncryptedRecordingStore implements RecordingStore {
  readonly backend: "local" | "s3";
  private readonly blobs: BlobStore;
  private readonly encryptionKey: KeyObject;

  constructor(blobs: BlobStore, encryptionKey: KeyObject) {
    this.blobs = blobs;
    this.encryptionKey = encryptionKey;
    this.backend = blobs.backend;
    // Fail at construction, not at the first recording, if the key is unusable.
    encryptStream(encryptionKey).destroy();
  }

  async put(key: string, plaintext: Readable): Promise<StoredRecording> {
    checkRecordingKey(key);
    const digest = new StreamDigest();
    const cipher = encryptStream(this.encryptionKey);
    const storedBytes = await feedInto(pipeline(plaintext, digest, cipher), cipher, (body) =>
      this.blobs.write(key, body),
    );
    return { key, bytes: digest.bytes, sha256: digest.sha256(), storedBytes };
  }

  async get(key: string): Promise<Readable> {
    checkRecordingKey(key);
    const ciphertext = await this.blobs.read(key);
    const plaintext = decryptStream(this.encryptionKey);
    // Errors reach the consumer through `plaintext`; destroying it early closes the source.
    pipeline(ciphertext, plaintext).catch(() => {});
    return plaintext;
  }

  async delete(key: string): Promise<void> {
    await this.blobs.remove(checkRecordingKey(key));
  }

  async exists(key: string): Promise<boolean> {
    return this.blobs.has(checkRecordingKey(key));
  }

  close(): Promise<void> {
    return this.blobs.close();
  }
}

/**
 * Decrypts the recording at `key` into the file `path`, which appears only after the whole
 * recording was authenticated (see `writeFileAtomically`). Use this when a tool needs the audio
 * as a file (transcoding, transcription upload): it never sees unauthenticated bytes.
 */
export async function saveRecordingToFile(
  store: RecordingStore,
  key: string,
  path: string,
): Promise<{ bytes: number; sha256: string }> {
  const digest = new StreamDigest();
  const plaintext = await store.get(key);
  await feedInto(pipeline(plaintext, digest), digest, (body) => writeFileAtomically(path, body));
  return { bytes: digest.bytes, sha256: digest.sha256() };
}

/**
 * Runs a producer chain (`feed`, a pipeline ending in the duplex `tail`) and a consumer reading
 * `tail`, and settles when both have. A failure on either side tears the other down, and the
 * error reported is the cause rather than the premature close it triggers on the other side.
 */
async function feedInto<T>(
  feed: Promise<void>,
  tail: Readable,
  consume: (body: Readable) => Promise<T>,
): Promise<T> {
  const consuming = consume(tail).catch((error: unknown) => {
    tail.destroy(error as Error);
    throw error;
  });
  const [fed, consumed] = await Promise.allSettled([feed, consuming]);
  const failures = [fed, consumed]
    .filter((result): result is PromiseRejectedResult => result.status === "rejected")
    .map((result) => result.reason as NodeJS.ErrnoException);
  if (failures.length > 0) {
    throw failures.find((error) => error?.code !== "ERR_STREAM_PREMATURE_CLOSE") ?? failures[0];
  }
  return (consumed as PromiseFulfilledResult<T>).value;
}
