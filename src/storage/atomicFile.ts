/**
 * Writes a stream to a file so that the file either appears whole or not at all: the bytes go to
 * a hidden temporary file beside the destination, which is fsynced and renamed into place only
 * after the stream ended without error. On any failure the temporary file is removed.
 */
import { randomBytes } from "node:crypto";
import type { WriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Streams `source` into `path` atomically; returns the number of bytes written. */
export async function writeFileAtomically(
  path: string,
  source: Readable,
  options: { mode?: number } = {},
): Promise<number> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true });
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString("hex")}.partial`);
  // Opened before streaming, so the cleanup below never races the stream opening the file.
  const handle = await open(temporary, "wx", options.mode ?? 0o600);
  // `flush`: fsync before the stream closes the file.
  const out = handle.createWriteStream({ flush: true });
  try {
    await pipeline(source, out);
    await closed(out);
    await rename(temporary, path);
  } catch (error) {
    await closed(out);
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
  return out.bytesWritten;
}

/** Waits until the stream released its file (`once` would reject on an earlier 'error'). */
function closed(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.closed ? resolve() : stream.once("close", resolve)));
}

/** Makes a rename in `directory` durable. */
async function syncDirectory(directory: string) {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
