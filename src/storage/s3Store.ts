/**
 * A `BlobStore` in an S3 bucket (AWS, or any S3-compatible server via `endpoint`). Uploads stream
 * through `@aws-sdk/lib-storage`'s multipart `Upload`, holding at most `queueSize` parts of
 * `partSizeBytes` in memory; a failed upload is aborted, so no object and no orphaned parts are
 * left. Objects appear only when the upload completes, so readers never see half an object.
 */

import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { RecordingNotFoundError } from "./errors.ts";
import { checkRecordingKey } from "./recordingKey.ts";
import type { BlobStore } from "./recordingStore.ts";

const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  region: string;
  /** Base URL of an S3-compatible server (MinIO, Ceph, R2…); omit for AWS. */
  endpoint?: string;
  /** Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`. Default: `true`
   * when `endpoint` is set (what most S3-compatible servers expect), else `false`. */
  forcePathStyle?: boolean;
  /** Static credentials; omit to use the SDK's default chain (instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Prefix for every object key, e.g. `recordings/`. Default: none. */
  prefix?: string;
  /** Multipart part size. Default 8 MiB; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once. Default 2. */
  queueSize?: number;
  /** Transfer checksums. Default: the SDK's ("when_supported") for AWS, "when_required" when
   * `endpoint` is set, since many S3-compatible servers reject the newer checksum headers.
   * Content integrity does not depend on it: recordings carry their own GCM tag. */
  checksums?: "when_supported" | "when_required";
  /** Use this client instead of building one from the options above. */
  client?: S3Client;
}

export class S3Store implements BlobStore {
  readonly backend = "s3";
  readonly bucket: string;
  readonly client: S3Client;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #ownsClient: boolean;

  constructor(options: S3StoreOptions) {
    if (!options.bucket?.trim()) throw new RangeError("s3.bucket is required");
    if (!options.client && !options.region?.trim()) throw new RangeError("s3.region is required");
    if (options.endpoint !== undefined && !URL.canParse(options.endpoint)) {
      throw new RangeError(`s3.endpoint must be a URL such as http://127.0.0.1:9000`);
    }
    const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_BYTES) {
      throw new RangeError(`s3.partSizeBytes must be at least ${MIN_PART_BYTES} (5 MiB)`);
    }
    const queueSize = options.queueSize ?? 2;
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new RangeError("s3.queueSize must be at least 1");
    }
    const prefix = options.prefix ?? "";
    if (prefix !== "") checkRecordingKey(prefix.replace(/\/$/, ""));

    this.bucket = options.bucket;
    this.#prefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.#partSize = partSize;
    this.#queueSize = queueSize;
    this.#ownsClient = !options.client;
    this.client = options.client ?? new S3Client(clientConfig(options));
  }

  /** The object key for a storage key. */
  objectKey(key: string): string {
    return this.#prefix + checkRecordingKey(key);
  }

  async write(key: string, body: Readable): Promise<number> {
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    // A failed source errors `counted`, which fails the upload.
    pipeline(body, counted).catch(() => {});
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: counted,
        ContentType: "application/octet-stream",
      },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      throw error;
    }
    return bytes;
  }

  async read(key: string): Promise<Readable> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      if (!(response.Body instanceof Readable)) {
        throw new TypeError("the S3 client returned a body that is not a Node.js stream");
      }
      return response.Body;
    } catch (error) {
      if (isNotFound(error)) throw new RecordingNotFoundError(key);
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
    );
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Closes the client's sockets, unless the client was passed in. */
  async close(): Promise<void> {
    if (this.#ownsClient) this.client.destroy();
  }
}

function clientConfig(options: S3StoreOptions): S3ClientConfig {
  const compatible = options.endpoint !== undefined;
  const checksums = options.checksums ?? (compatible ? "when_required" : "when_supported");
  const mode = checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED";
  return {
    region: options.region,
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? compatible,
    ...(options.credentials && { credentials: options.credentials }),
    requestChecksumCalculation: mode,
    responseChecksumValidation: mode,
  };
}

function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === "NoSuchKey" || (name === "NotFound" && $metadata?.httpStatusCode === 404);
}
