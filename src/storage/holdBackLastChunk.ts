/**
 * For downloads of stored files: the store decrypts as it streams and only its end says the
 * bytes are genuine (encryption.ts). Piped through this, a download's last chunk leaves only
 * once the store's stream ended cleanly, so a response that fails authentication stops short
 * of its Content-Length and can never pass for complete.
 */
import { Transform, type TransformCallback } from "node:stream";

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
