/**
 * The S3 backend against s3rver on loopback (see s3Server.ts): the real AWS SDK, real HTTP,
 * real SigV4-signed requests and real multipart uploads; nothing is mocked.
 */

import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRecordingStore } from "../../src/storage/createRecordingStore.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../src/storage/encryption.ts";
import {
  InvalidRecordingKeyError,
  RecordingDecryptionError,
  RecordingNotFoundError,
} from "../../src/storage/errors.ts";
import type { RecordingStore } from "../../src/storage/recordingStore.ts";
import { S3Store, type S3StoreOptions } from "../../src/storage/s3Store.ts";
import { S3_CREDENTIALS, startS3Server, type TestS3Server } from "../support/s3Server.ts";
import {
  digestOf,
  flipByte,
  generatedRecording,
  generatedSha256,
  readAll,
} from "../support/streams.ts";

const encryptionKey = parseEncryptionKey(generateEncryptionKey());
const MiB = 1024 * 1024;

let server: TestS3Server;
let raw: S3Client;
const stores: RecordingStore[] = [];

beforeAll(async () => {
  server = await startS3Server();
  raw = new S3Client({
    region: "us-east-1",
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
});

afterAll(async () => {
  raw.destroy();
  await server.stop();
});

beforeEach(() => {
  server.requests.length = 0;
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function s3Options(overrides: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    bucket: server.bucket,
    region: "us-east-1",
    endpoint: server.endpoint,
    credentials: S3_CREDENTIALS,
    partSizeBytes: 5 * MiB,
    ...overrides,
  };
}

async function s3RecordingStore(overrides: Partial<S3StoreOptions> = {}): Promise<RecordingStore> {
  const store = await createRecordingStore({
    backend: "s3",
    s3: s3Options(overrides),
    encryptionKey,
  });
  stores.push(store);
  return store;
}

async function rawObject(key: string): Promise<Buffer> {
  const response = await raw.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
  return readAll(response.Body as Readable);
}

describe("S3 recording store", () => {
  it("streams a large recording up as a multipart upload and back down", async () => {
    const store = await s3RecordingStore();
    const key = "2026/11/22/RE-large.wav.enc";
    const size = 12 * MiB + 321;
    const stored = await store.put(key, generatedRecording(size).stream);
    expect(stored).toEqual({
      key,
      bytes: size,
      sha256: generatedSha256(size),
      storedBytes: size + 33,
    });
    // Create, three parts (5 + 5 + 2 MiB), complete.
    expect(server.requests.filter((line) => /^POST .*\?uploads/.test(line))).toHaveLength(1);
    expect(server.requests.filter((line) => /^PUT .*partNumber=/.test(line))).toHaveLength(3);
    expect(server.requests.filter((line) => /^POST .*uploadId=/.test(line))).toHaveLength(1);

    expect(await store.exists(key)).toBe(true);
    expect(await digestOf(await store.get(key))).toEqual({
      sha256: generatedSha256(size),
      bytes: size,
    });
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
  });

  it("stores only ciphertext in the bucket", async () => {
    const store = await s3RecordingStore();
    const key = "2026/11/22/RE-small.wav.enc";
    const plaintext = Buffer.from("caller: my card number is 4111 1111 1111 1111");
    const stored = await store.put(key, Readable.from([plaintext]));
    const object = await rawObject(key);
    expect(object.length).toBe(stored.storedBytes);
    expect(object.subarray(0, 4).toString()).toBe("SBE1");
    expect(object.includes(Buffer.from("4111"))).toBe(false);
    expect((await readAll(await store.get(key))).equals(plaintext)).toBe(true);
  });

  it("aborts the multipart upload and stores nothing when the source fails mid-stream", async () => {
    const store = await s3RecordingStore();
    const key = "2026/11/22/RE-dropped.wav.enc";
    const source = generatedRecording(20 * MiB, {
      failAfter: 11 * MiB,
      error: new Error("twilio download dropped"),
    });
    await expect(store.put(key, source.stream)).rejects.toThrow("twilio download dropped");
    expect(server.requests.some((line) => /^PUT .*partNumber=1/.test(line))).toBe(true);
    expect(server.requests.some((line) => /^DELETE .*uploadId=/.test(line))).toBe(true);
    expect(await store.exists(key)).toBe(false);
  });

  it("errors at the end of get() when the object was tampered with", async () => {
    const store = await s3RecordingStore();
    const key = "2026/11/22/RE-tampered.wav.enc";
    await store.put(key, generatedRecording(300_000).stream);
    const object = flipByte(await rawObject(key), 150_000);
    await raw.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: object }));
    await expect(digestOf(await store.get(key))).rejects.toBeInstanceOf(RecordingDecryptionError);
  });

  it("reports a missing recording and deletes idempotently", async () => {
    const store = await s3RecordingStore();
    await expect(store.get("2026/01/01/RE-none.wav.enc")).rejects.toBeInstanceOf(
      RecordingNotFoundError,
    );
    expect(await store.exists("2026/01/01/RE-none.wav.enc")).toBe(false);
    await store.delete("2026/01/01/RE-none.wav.enc");
  });

  it("keeps objects under a prefix when given one", async () => {
    const store = await s3RecordingStore({ prefix: "switchboard/recordings" });
    await store.put("2026/11/22/RE-prefixed.wav.enc", Readable.from([Buffer.from("hi")]));
    const object = await rawObject("switchboard/recordings/2026/11/22/RE-prefixed.wav.enc");
    expect(object.subarray(0, 4).toString()).toBe("SBE1");
  });

  it("works with the SDK's default transfer checksums too", async () => {
    const store = await s3RecordingStore({ checksums: "when_supported" });
    const key = "2026/11/22/RE-checksums.wav.enc";
    const size = 6 * MiB;
    await store.put(key, generatedRecording(size, { seed: 7 }).stream);
    expect((await digestOf(await store.get(key))).sha256).toBe(generatedSha256(size, 7));
  });

  it("refuses unsafe keys before any request", async () => {
    const store = await s3RecordingStore();
    await expect(store.put("../x.enc", Readable.from([Buffer.from("x")]))).rejects.toBeInstanceOf(
      InvalidRecordingKeyError,
    );
    await expect(store.exists("/abs.enc")).rejects.toBeInstanceOf(InvalidRecordingKeyError);
    expect(server.requests).toEqual([]);
  });

  it("surfaces the server's refusal of bad credentials", async () => {
    const store = await s3RecordingStore({
      credentials: { accessKeyId: "AKIA-UNKNOWN", secretAccessKey: "S3RVER" },
    });
    await expect(
      store.put("2026/11/22/RE-denied.wav.enc", Readable.from([Buffer.from("x")])),
    ).rejects.toMatchObject({ name: "InvalidAccessKeyId" });
  });

  it("validates its options at construction", () => {
    expect(() => new S3Store({ ...s3Options(), bucket: "" })).toThrow(/s3\.bucket is required/);
    expect(() => new S3Store({ ...s3Options(), partSizeBytes: MiB })).toThrow(/at least 5242880/);
    expect(() => new S3Store({ ...s3Options(), endpoint: "not a url" })).toThrow(/s3\.endpoint/);
  });
});
