/**
 * For downloads of stored files: the store decrypts as it streams and only its end says the
 * bytes are genuine (encryption.ts). Piped through this, a download's last chunk leaves only
 * once the store's stream ended cleanly, so a response that fails authentication stops short
 * of its Content-Length and can never pass for complete.
 */
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Passes chunks on one behind, releasing the last only when its source ended cleanly. */
export function holdBackLastChunk(): Transform {
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback: TransformCallback) {
      callback(null, held);
    },
  });
}

/**
 * The body of a download of `plaintext` (a store's decrypting stream), its last chunk held back
 * until the store's stream ended cleanly; `onError` hears why it stopped short.
 */
export function downloadBody(plaintext: Readable, onError: (error: unknown) => void): Transform {
  const body = holdBackLastChunk();
  pipeline(plaintext, body).catch(onError);
  return body;
}
