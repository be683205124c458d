/**
 * Reading a stored recording back for download.
 *
 * The store decrypts as it streams, and only the authentication tag at the very end says
 * whether the bytes are genuine (see storage/encryption.ts). A response that has sent every
 * byte its Content-Length promised looks complete to the client even if the tag then fails.
 * So `openRecordingMedia` holds back the last chunk until the store's stream has ended (tag
 * verified); on failure the stream errors instead, short of Content-Length, and the HTTP server
 * aborts the response.
 */
import type { Readable } from "node:stream";
import type { Db } from "../database/pool.ts";
import type { Recording } from "../database/schema.ts";
import { RecordingDecryptionError, RecordingNotFoundError } from "../storage/errors.ts";
import { downloadBody } from "../storage/holdBackLastChunk.ts";
import type { RecordingStore } from "../storage/recordingStore.ts";

export type OpenedRecordingMedia =
  | {
      kind: "ok";
      recording: Recording & { storage_key: string; size_bytes: number };
      /** The plaintext audio; ends only after it was authenticated. */
      body: Readable;
    }
  | { kind: "not_found" }
  /** Not stored yet (pending, processing or failed). */
  | { kind: "not_stored"; status: Recording["status"] }
  /** Its audio was removed after the retention period. */
  | { kind: "archived" }
  /** The row says stored but the store has no file (an operator removed it?). */
  | { kind: "missing" };

export interface OpenRecordingMediaOptions {
  /** Called once if the stored bytes fail authentication (tampering or a wrong key). */
  onIntegrityFailure?: (error: RecordingDecryptionError) => void;
}

export async function openRecordingMedia(
  db: Db,
  store: RecordingStore,
  recordingId: number,
  options: OpenRecordingMediaOptions = {},
): Promise<OpenedRecordingMedia> {
  const recording = await db
    .selectFrom("recordings")
    .selectAll()
    .where("id", "=", recordingId)
    .executeTakeFirst();
  if (!recording) return { kind: "not_found" };
  if (recording.status === "archived") return { kind: "archived" };
  if (recording.status !== "stored" || !recording.storage_key || recording.size_bytes === null) {
    return { kind: "not_stored", status: recording.status };
  }
  let plaintext: Readable;
  try {
    plaintext = await store.get(recording.storage_key);
  } catch (error) {
    if (error instanceof RecordingNotFoundError) return { kind: "missing" };
    throw error;
  }
  const body = downloadBody(plaintext, (error) => {
    if (error instanceof RecordingDecryptionError) options.onIntegrityFailure?.(error);
  });
  return {
    kind: "ok",
    recording: {
      ...recording,
      storage_key: recording.storage_key,
      size_bytes: recording.size_bytes,
    },
    body,
  };
}
