/**
 * Streaming AES-256-GCM for recordings at rest. Nothing here holds a whole file in memory: each
 * stream keeps at most one chunk plus the 16 bytes that may turn out to be the tag.
 *
 * File layout ("SBE1", version 1), 33 bytes longer than the plaintext:
 *
 * | offset      | bytes | content                                               |
 * | ----------- | ----- | ----------------------------------------------------- |
 * | 0           | 4     | magic, ASCII `SBE1`                                   |
 * | 4           | 1     | format version, `0x01`                                |
 * | 5           | 12    | IV (random per file)                                  |
 * | 17          | n     | ciphertext (AES-256-GCM, same length as the plaintext) |
 * | 17 + n      | 16    | GCM authentication tag                                |
 *
 * The 17-byte header is also the GCM additional authenticated data, so a changed magic, version
 * or IV fails authentication like a changed ciphertext byte does. One key may encrypt about 2^32
 * files before random IVs risk repeating (NIST SP 800-38D), and one file may hold up to 64 GiB.
 *
 * Trust: the tag sits at the end, so plaintext from `decryptStream` is unauthenticated until the
 * stream ends. The stream signals the verdict the way Node streams do: it emits `end` only after
 * the tag verified, and otherwise errors with `RecordingDecryptionError` instead of ending. Treat
 * the bytes as provisional until then: consume with `pipeline()` (or `for await`) and act only
 * once it resolves, or use `saveRecordingToFile`, which writes beside the destination and renames
 * into place only after the tag verified. Buffering a whole recording to verify it first would
 * defeat streaming, and a framed (per-chunk tag) format would cost complexity for no real gain
 * to callers that must read the whole file anyway.
 *
 * @example
 * const key = parseEncryptionKey("<RECORDING_ENCRYPTION_KEY value>");
 * await pipeline(createReadStream("call.wav"), encryptStream(key), createWriteStream("call.wav.enc"));
 */
import {
  type CipherGCM,
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type DecipherGCM,
  type Hash,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { RecordingDecryptionError } from "./errors.ts";

const MAGIC = Buffer.from("SBE1", "ascii");
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;

/** Bytes before the ciphertext: magic, version, IV. */
export const HEADER_BYTES = MAGIC.length + 1 + IV_BYTES;
/** Bytes an encrypted file adds to its plaintext: header plus tag. */
export const ENCRYPTION_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;

/** The stored size of a plaintext of `plaintextBytes`. */
export function encryptedSize(plaintextBytes: number): number {
  return plaintextBytes + ENCRYPTION_OVERHEAD_BYTES;
}

/**
 * Parses a 32-byte key given as 64 hex characters or as base64 (standard or URL-safe, padding
 * optional). The key comes back as a `KeyObject`, which does not print its bytes when logged.
 * Errors name `field` and never repeat the value.
 */
export function parseEncryptionKey(value: string, field = "RECORDING_ENCRYPTION_KEY"): KeyObject {
  const text = String(value ?? "").trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) {
    bytes = Buffer.from(text, "hex");
  } else if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}=?$/.test(text)) {
    bytes = Buffer.from(text.replace(/=$/, ""), "base64");
  }
  if (bytes?.length !== KEY_BYTES) {
    throw new RangeError(
      `${field} must be 32 random bytes written as base64 (44 characters) or hex (64 characters); ` +
        `got ${text.length === 0 ? "an empty value" : `${text.length} characters that are neither`}. ` +
        "Generate one with: openssl rand -base64 32",
    );
  }
  return createSecretKey(bytes);
}

/** A new random key, as base64 (for `RECORDING_ENCRYPTION_KEY`). */
export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

function checkKey(key: KeyObject) {
  if (key.type !== "secret" || key.symmetricKeySize !== KEY_BYTES) {
    throw new RangeError("the recording encryption key must be a 32-byte secret key");
  }
}

/** Plaintext in, `SBE1` file out (header, ciphertext, tag). */
export function encryptStream(key: KeyObject): Transform {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), iv]);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES }) as CipherGCM;
  cipher.setAAD(header);
  let headerSent = false;
  const sendHeader = (stream: Transform) => {
    if (!headerSent) {
      headerSent = true;
      stream.push(header);
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sendHeader(this);
      callback(null, cipher.update(chunk));
    },
    flush(callback) {
      sendHeader(this);
      const rest = cipher.final();
      if (rest.length > 0) this.push(rest);
      callback(null, cipher.getAuthTag());
    },
  });
}

/**
 * `SBE1` file in, plaintext out. The output ends only after the tag verified; a modified file,
 * a wrong key, a truncated file or a file in another format makes it error with
 * `RecordingDecryptionError` instead (see the module comment on trusting the bytes).
 */
export function decryptStream(key: KeyObject): Transform {
  checkKey(key);
  return new DecryptTransform(key);
}

class DecryptTransform extends Transform {
  #decipher: DecipherGCM | undefined;
  /** Header bytes while it is incomplete, then the trailing bytes that may be the tag. */
  #pending: Buffer = Buffer.alloc(0);

  private readonly key: KeyObject;

  constructor(key: KeyObject) {
    super();
    this.key = key;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    try {
      let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
      if (!this.#decipher) {
        if (data.length < HEADER_BYTES) {
          this.#pending = data;
          return callback();
        }
        this.#decipher = this.#start(data.subarray(0, HEADER_BYTES));
        data = data.subarray(HEADER_BYTES);
      }
      // Keep the last TAG_BYTES back: they are the tag if the input ends here.
      const ready = data.length - TAG_BYTES;
      if (ready <= 0) {
        this.#pending = Buffer.from(data);
        return callback();
      }
      this.#pending = Buffer.from(data.subarray(ready));
      callback(null, this.#decipher.update(data.subarray(0, ready)));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback) {
    if (!this.#decipher || this.#pending.length < TAG_BYTES) {
      return callback(
        new RecordingDecryptionError(
          "the encrypted recording is truncated: it ends before its authentication tag",
        ),
      );
    }
    try {
      this.#decipher.setAuthTag(this.#pending);
      const rest = this.#decipher.final();
      callback(null, rest.length > 0 ? rest : undefined);
    } catch (cause) {
      callback(
        new RecordingDecryptionError(
          "the encrypted recording failed authentication: it was modified, or it was encrypted " +
            "with a different RECORDING_ENCRYPTION_KEY; discard any bytes already read",
          { cause },
        ),
      );
    }
  }

  #start(header: Buffer): DecipherGCM {
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new RecordingDecryptionError(
        'not an encrypted recording: the file does not start with "SBE1"',
      );
    }
    const version = header[MAGIC.length];
    if (version !== VERSION) {
      throw new RecordingDecryptionError(
        `unsupported encrypted recording version ${version} (this build reads version ${VERSION})`,
      );
    }
    const iv = header.subarray(MAGIC.length + 1, HEADER_BYTES);
    const decipher = createDecipheriv(ALGORITHM, this.key, iv, {
      authTagLength: TAG_BYTES,
    }) as DecipherGCM;
    decipher.setAAD(header);
    return decipher;
  }
}

/**
 * A pass-through that measures what flows through it: byte count and SHA-256. Read `bytes` and
 * `sha256()` once the stream finished; `sha256()` throws before then.
 */
export class StreamDigest extends Transform {
  #hash: Hash = createHash("sha256");
  #digest: string | undefined;
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback) {
    this.#digest = this.#hash.digest("hex");
    callback();
  }

  /** Lowercase hex SHA-256 of every byte that passed. */
  sha256(): string {
    if (this.#digest === undefined) throw new Error("StreamDigest: the stream has not finished");
    return this.#digest;
  }
}
