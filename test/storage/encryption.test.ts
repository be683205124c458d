import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import {
  decryptStream,
  ENCRYPTION_OVERHEAD_BYTES,
  encryptedSize,
  encryptStream,
  generateEncryptionKey,
  HEADER_BYTES,
  parseEncryptionKey,
  StreamDigest,
} from "../../src/storage/encryption.ts";
import { RecordingDecryptionError } from "../../src/storage/errors.ts";
import {
  digestOf,
  flipByte,
  generatedRecording,
  generatedSha256,
  readAll,
} from "../support/streams.ts";

const key = parseEncryptionKey(generateEncryptionKey());

async function encrypt(plaintext: Buffer, withKey = key): Promise<Buffer> {
  return readAll(Readable.from([plaintext]).pipe(encryptStream(withKey)));
}

/** Decrypts through `pipeline`, the way callers must: the promise settles on the verdict. */
async function decrypt(ciphertext: Buffer, withKey = key, chunkSize = 64 * 1024) {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < ciphertext.length; offset += chunkSize) {
    chunks.push(ciphertext.subarray(offset, offset + chunkSize));
  }
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    decryptStream(withKey),
    new Writable({
      write(chunk, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

describe("encryptStream / decryptStream", () => {
  it("round-trips a multi-megabyte stream, streaming rather than buffering it", async () => {
    const size = 24 * 1024 * 1024 + 12_345;
    const source = generatedRecording(size);
    const digest = new StreamDigest();
    let producedAtFirstOutput: number | undefined;
    let largestChunk = 0;
    await pipeline(
      source.stream,
      encryptStream(key),
      decryptStream(key),
      digest,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          producedAtFirstOutput ??= source.produced();
          largestChunk = Math.max(largestChunk, chunk.length);
          callback();
        },
      }),
    );
    expect(digest.bytes).toBe(size);
    expect(digest.sha256()).toBe(generatedSha256(size));
    // Plaintext came out while most of the input was still to be produced…
    expect(producedAtFirstOutput).toBeLessThan(1024 * 1024);
    // …and in chunk-sized pieces, not as one buffer.
    expect(largestChunk).toBeLessThanOrEqual(128 * 1024);
  });

  it("writes the SBE1 layout: magic, version, IV, ciphertext of the same length, tag", async () => {
    const plaintext = Buffer.from("hello, caller");
    const ciphertext = await encrypt(plaintext);
    expect(ciphertext.length).toBe(plaintext.length + ENCRYPTION_OVERHEAD_BYTES);
    expect(ciphertext.length).toBe(encryptedSize(plaintext.length));
    expect(ciphertext.subarray(0, 4).toString("ascii")).toBe("SBE1");
    expect(ciphertext[4]).toBe(1);
    expect(HEADER_BYTES).toBe(17);
    expect((await decrypt(ciphertext)).toString()).toBe("hello, caller");
  });

  it("produces ciphertext that differs from and does not contain the plaintext", async () => {
    const phrase = "card number 4111 1111 1111 1111; ";
    const plaintext = Buffer.from(phrase.repeat(2_000));
    const first = await encrypt(plaintext);
    const second = await encrypt(plaintext);
    const body = first.subarray(HEADER_BYTES, -16);
    expect(body.equals(plaintext)).toBe(false);
    expect(first.includes(Buffer.from("4111 1111"))).toBe(false);
    expect(first.includes(plaintext.subarray(0, 16))).toBe(false);
    // A fresh random IV per file: the same recording never encrypts the same way twice.
    expect(first.subarray(5, HEADER_BYTES).equals(second.subarray(5, HEADER_BYTES))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it("round-trips an empty recording", async () => {
    const ciphertext = await encrypt(Buffer.alloc(0));
    expect(ciphertext.length).toBe(ENCRYPTION_OVERHEAD_BYTES);
    expect((await decrypt(ciphertext)).length).toBe(0);
  });

  it("decrypts whatever the chunk boundaries (1 byte, odd sizes)", async () => {
    const plaintext = randomBytes(5_000);
    const ciphertext = await encrypt(plaintext);
    for (const chunkSize of [1, 7, 16, 17, 33, 4_999]) {
      expect((await decrypt(ciphertext, key, chunkSize)).equals(plaintext)).toBe(true);
    }
  });

  it.each([
    ["a ciphertext byte", HEADER_BYTES + 100],
    ["the last ciphertext byte", -17],
    ["a tag byte", -1],
    ["an IV byte", 8],
  ])("fails authentication when %s is flipped", async (_what, position) => {
    const ciphertext = await encrypt(randomBytes(1_000));
    flipByte(ciphertext, position);
    const failure = decrypt(ciphertext);
    await expect(failure).rejects.toBeInstanceOf(RecordingDecryptionError);
    await expect(failure).rejects.toThrow(/failed authentication: it was modified/);
  });

  it("refuses a file with another magic or version before decrypting anything", async () => {
    const ciphertext = await encrypt(randomBytes(100));
    const badMagic = flipByte(Buffer.from(ciphertext), 0);
    await expect(decrypt(badMagic)).rejects.toThrow(/does not start with "SBE1"/);
    const badVersion = flipByte(Buffer.from(ciphertext), 4, 0x03);
    await expect(decrypt(badVersion)).rejects.toThrow(/unsupported encrypted recording version 2/);
  });

  it("fails with a clear error under the wrong key", async () => {
    const ciphertext = await encrypt(Buffer.from("the caller's address"));
    const otherKey = parseEncryptionKey(generateEncryptionKey());
    const failure = decrypt(ciphertext, otherKey);
    await expect(failure).rejects.toBeInstanceOf(RecordingDecryptionError);
    await expect(failure).rejects.toThrow(/different RECORDING_ENCRYPTION_KEY/);
  });

  it("fails on a truncated file", async () => {
    const ciphertext = await encrypt(randomBytes(1_000));
    await expect(decrypt(ciphertext.subarray(0, 500))).rejects.toBeInstanceOf(
      RecordingDecryptionError,
    );
    await expect(decrypt(ciphertext.subarray(0, 20))).rejects.toThrow(/truncated/);
    await expect(decrypt(Buffer.alloc(0))).rejects.toThrow(/truncated/);
  });

  it("never ends a tampered stream: consumers see an error instead of 'end'", async () => {
    const ciphertext = await encrypt(randomBytes(200_000));
    flipByte(ciphertext, -5, 0xff);
    const plaintext = Readable.from([ciphertext]).pipe(decryptStream(key));
    let ended = false;
    plaintext.on("end", () => {
      ended = true;
    });
    await expect(digestOf(plaintext)).rejects.toBeInstanceOf(RecordingDecryptionError);
    expect(ended).toBe(false);
  });
});

describe("parseEncryptionKey", () => {
  const raw = randomBytes(32);

  it("accepts 32 bytes as hex or base64 (standard, URL-safe, with or without padding)", () => {
    for (const text of [
      raw.toString("hex"),
      raw.toString("hex").toUpperCase(),
      raw.toString("base64"),
      raw.toString("base64url"),
      ` ${raw.toString("base64")}\n`,
    ]) {
      expect(parseEncryptionKey(text).export().equals(raw)).toBe(true);
    }
  });

  it.each([
    ["an empty value", ""],
    ["the seed's placeholder", "your-encryption-key"],
    ["31 bytes of base64", randomBytes(31).toString("base64")],
    ["33 bytes of base64", randomBytes(33).toString("base64")],
    ["63 hex characters", randomBytes(32).toString("hex").slice(1)],
    ["64 characters that are not hex", "z".repeat(64)],
    ["a passphrase of 44 characters", "correct horse battery staple, not a key!!!!"],
  ])("rejects %s, naming RECORDING_ENCRYPTION_KEY without echoing it", (_what, value) => {
    let message = "";
    try {
      parseEncryptionKey(value);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^RECORDING_ENCRYPTION_KEY must be 32 random bytes/);
    expect(message).toContain("openssl rand -base64 32");
    if (value.length > 0) expect(message).not.toContain(value.trim());
  });

  it("names the field it was given", () => {
    expect(() => parseEncryptionKey("nope", "recordings.encryptionKey")).toThrow(
      /^recordings\.encryptionKey must be/,
    );
  });

  it("returns a key that does not print its bytes", () => {
    const parsed = parseEncryptionKey(raw.toString("hex"));
    expect(JSON.stringify(parsed)).not.toContain(raw.toString("hex"));
    expect(String(parsed)).not.toContain(raw.toString("base64"));
  });
});

describe("StreamDigest", () => {
  it("reports the SHA-256 and size of what passed through", async () => {
    const data = randomBytes(300_000);
    const digest = new StreamDigest();
    expect(() => digest.sha256()).toThrow(/has not finished/);
    await pipeline(
      Readable.from([data.subarray(0, 1), data.subarray(1)]),
      digest,
      async (source) => {
        for await (const _ of source);
      },
    );
    expect(digest.bytes).toBe(data.length);
    expect(digest.sha256()).toBe(createHash("sha256").update(data).digest("hex"));
  });
});
