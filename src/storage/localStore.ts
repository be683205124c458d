/**
 * A `BlobStore` in a local folder: key `2026/11/22/RE123.wav.enc` is the file
 * `<directory>/2026/11/22/RE123.wav.enc`. Writes are atomic (temporary file, fsync, rename), so
 * a reader never sees a half-written file and a failed write leaves none. Files are created
 * owner-only (0600).
 */
import { open, rm, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { writeFileAtomically } from "./atomicFile.ts";
import { InvalidRecordingKeyError, RecordingNotFoundError } from "./errors.ts";
import { checkRecordingKey } from "./recordingKey.ts";
import type { BlobStore } from "./recordingStore.ts";

export const DEFAULT_RECORDING_DIR = ".switchboard/recordings";

export interface LocalStoreOptions {
  /** Folder holding the recordings, created on first write. Default `.switchboard/recordings`. */
  directory?: string;
}

export class LocalStore implements BlobStore {
  readonly backend = "local";
  /** Absolute path of the folder. */
  readonly directory: string;

  constructor(options: LocalStoreOptions = {}) {
    const directory = options.directory ?? DEFAULT_RECORDING_DIR;
    if (directory.trim() === "") throw new RangeError("directory must not be empty");
    this.directory = resolve(directory);
  }

  /** The file for `key`, refusing any key that would resolve outside the folder. */
  pathFor(key: string): string {
    checkRecordingKey(key);
    const path = resolve(this.directory, key);
    if (!path.startsWith(this.directory + sep)) {
      throw new InvalidRecordingKeyError(key, "it resolves outside the recordings folder");
    }
    return path;
  }

  write(key: string, body: Readable): Promise<number> {
    return writeFileAtomically(this.pathFor(key), body);
  }

  async read(key: string): Promise<Readable> {
    const path = this.pathFor(key);
    try {
      const handle = await open(path, "r");
      return handle.createReadStream();
    } catch (error) {
      if (isMissing(error)) throw new RecordingNotFoundError(key);
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async close(): Promise<void> {}
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
