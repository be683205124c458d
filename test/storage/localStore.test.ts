import { createHash, createSecretKey } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRecordingStore } from "../../src/storage/createRecordingStore.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../src/storage/encryption.ts";
import {
  InvalidRecordingKeyError,
  RecordingDecryptionError,
  RecordingNotFoundError,
} from "../../src/storage/errors.ts";
import { LocalStore } from "../../src/storage/localStore.ts";
import { recordingKeyFor } from "../../src/storage/recordingKey.ts";
import {
  EncryptedRecordingStore,
  type RecordingStore,
  saveRecordingToFile,
} from "../../src/storage/recordingStore.ts";
import {
  digestOf,
  flipByte,
  generatedRecording,
  generatedSha256,
  readAll,
} from "../support/streams.ts";

const encryptionKey = parseEncryptionKey(generateEncryptionKey());
const KEY = "2026/11/22/RE123.wav.enc";

let root: string;
let directory: string;
let store: RecordingStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "switchboard-recordings-"));
  directory = join(root, "recordings");
  store = await createRecordingStore({ backend: "local", localDir: directory, encryptionKey });
});

afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, relative, including hidden temporary files. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe("local recording store", () => {
  it("puts, checks, gets and deletes a recording", async () => {
    const size = 3 * 1024 * 1024 + 7;
    const stored = await store.put(KEY, generatedRecording(size).stream);
    expect(stored).toEqual({
      key: KEY,
      bytes: size,
      sha256: generatedSha256(size),
      storedBytes: size + 33,
    });
    expect(await store.exists(KEY)).toBe(true);
    expect(await digestOf(await store.get(KEY))).toEqual({
      sha256: generatedSha256(size),
      bytes: size,
    });

    await store.delete(KEY);
    expect(await store.exists(KEY)).toBe(false);
    await expect(store.get(KEY)).rejects.toBeInstanceOf(RecordingNotFoundError);
    await store.delete(KEY); // deleting again is not an error
  });

  it("stores only ciphertext, owner-readable, at the key's path", async () => {
    const plaintext = Buffer.from("RIFF....WAVE caller said: my account number is 99887766\n");
    const stored = await store.put(KEY, Readable.from([plaintext]));
    expect(await filesUnder(directory)).toEqual([KEY]);
    const onDisk = await readFile(join(directory, KEY));
    expect(onDisk.length).toBe(stored.storedBytes);
    expect(onDisk.subarray(0, 4).toString()).toBe("SBE1");
    expect(onDisk.includes(Buffer.from("99887766"))).toBe(false);
    expect(onDisk.includes(Buffer.from("RIFF"))).toBe(false);
    expect(stored.sha256).toBe(createHash("sha256").update(plaintext).digest("hex"));
    expect((await stat(join(directory, KEY))).mode & 0o777).toBe(0o600);
    expect((await readAll(await store.get(KEY))).equals(plaintext)).toBe(true);
  });

  it("replaces a recording put again under the same key", async () => {
    await store.put(KEY, Readable.from([Buffer.from("first")]));
    await store.put(KEY, Readable.from([Buffer.from("second")]));
    expect((await readAll(await store.get(KEY))).toString()).toBe("second");
    expect(await filesUnder(directory)).toEqual([KEY]);
  });

  it("leaves no file when the source fails mid-stream", async () => {
    const source = generatedRecording(8 * 1024 * 1024, {
      failAfter: 2 * 1024 * 1024,
      error: new Error("twilio download dropped"),
    });
    await expect(store.put(KEY, source.stream)).rejects.toThrow("twilio download dropped");
    expect(source.produced()).toBeGreaterThan(1024 * 1024); // it really was mid-stream
    expect(await filesUnder(directory)).toEqual([]);
    expect(await store.exists(KEY)).toBe(false);
  });

  it("keeps the previous recording whole when a replacement fails", async () => {
    await store.put(KEY, Readable.from([Buffer.from("the good copy")]));
    const failing = generatedRecording(1024 * 1024, { failAfter: 200_000 });
    await expect(store.put(KEY, failing.stream)).rejects.toThrow("source failed mid-stream");
    expect((await readAll(await store.get(KEY))).toString()).toBe("the good copy");
    expect(await filesUnder(directory)).toEqual([KEY]);
  });

  it.each([
    "../escape.wav.enc",
    "2026/../../escape.wav.enc",
    "/etc/passwd",
    "C:/recordings/x.enc",
    "2026\\11\\x.enc",
    ".hidden.enc",
    "2026//x.enc",
    "2026/./x.enc",
    "2026/11/",
    "",
  ])("refuses the key %j for every operation", async (key) => {
    await expect(store.put(key, Readable.from([Buffer.from("x")]))).rejects.toBeInstanceOf(
      InvalidRecordingKeyError,
    );
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidRecordingKeyError);
    await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidRecordingKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidRecordingKeyError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it("guards the raw folder store too, not only the encrypting wrapper", () => {
    const blobs = new LocalStore({ directory });
    expect(() => blobs.pathFor("../../etc/passwd")).toThrow(InvalidRecordingKeyError);
    expect(blobs.pathFor(KEY)).toBe(join(directory, KEY));
  });

  it("errors at the end of get() when the file on disk was tampered with", async () => {
    await store.put(KEY, generatedRecording(500_000).stream);
    const path = join(directory, KEY);
    const bytes = await readFile(path);
    await writeFile(path, flipByte(bytes, 1_000, 0x40));
    await expect(digestOf(await store.get(KEY))).rejects.toBeInstanceOf(RecordingDecryptionError);
  });

  it("cannot read recordings stored under another key", async () => {
    await store.put(KEY, Readable.from([Buffer.from("secret")]));
    const other = new EncryptedRecordingStore(
      new LocalStore({ directory }),
      parseEncryptionKey(generateEncryptionKey()),
    );
    await expect(readAll(await other.get(KEY))).rejects.toThrow(/RECORDING_ENCRYPTION_KEY/);
  });

  it("saves a verified recording to a file, and no file when verification fails", async () => {
    const size = 2 * 1024 * 1024;
    await store.put(KEY, generatedRecording(size).stream);
    const destination = join(root, "out", "RE123.wav");
    expect(await saveRecordingToFile(store, KEY, destination)).toEqual({
      bytes: size,
      sha256: generatedSha256(size),
    });
    expect(
      createHash("sha256")
        .update(await readFile(destination))
        .digest("hex"),
    ).toBe(generatedSha256(size));

    const path = join(directory, KEY);
    const bytes = await readFile(path);
    await writeFile(path, flipByte(bytes, -1));
    const tamperedDestination = join(root, "out", "tampered.wav");
    await expect(saveRecordingToFile(store, KEY, tamperedDestination)).rejects.toBeInstanceOf(
      RecordingDecryptionError,
    );
    expect(await filesUnder(join(root, "out"))).toEqual(["RE123.wav"]);
  });
});

describe("recordingKeyFor", () => {
  it("dates keys in UTC", () => {
    expect(recordingKeyFor("RE123", new Date("2026-11-22T23:30:00-05:00"))).toBe(
      "2026/11/23/RE123.wav.enc",
    );
    expect(recordingKeyFor("RE9", new Date("2026-01-05T00:00:00Z"), "mp3")).toBe(
      "2026/01/05/RE9.mp3.enc",
    );
    expect(() => recordingKeyFor("../RE1", new Date())).toThrow(InvalidRecordingKeyError);
  });
});

describe("createRecordingStore", () => {
  it("names what is missing for the s3 backend", async () => {
    await expect(createRecordingStore({ backend: "s3", encryptionKey })).rejects.toThrow(
      /AWS_STORAGE_BUCKET_NAME/,
    );
  });

  it("refuses an unknown backend", async () => {
    await expect(
      createRecordingStore({ backend: "twilio" as "local", encryptionKey }),
    ).rejects.toThrow(/RECORDING_STORAGE_BACKEND must be one of local, s3/);
  });

  it("refuses a key of the wrong size at construction", () => {
    const aes128Key = createSecretKey(Buffer.alloc(16));
    expect(() => new EncryptedRecordingStore(new LocalStore({ directory }), aes128Key)).toThrow(
      /32-byte secret key/,
    );
  });
});
