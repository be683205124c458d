import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";

/**
 * A fresh folder in the system's temporary directory, removed when the calling test has
 * finished (after its `afterEach` hooks, which stop the servers using it), so that test runs
 * leave nothing behind. Call it inside a test.
 */
export async function tempFolder(prefix: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(folder, { recursive: true, force: true }));
  return folder;
}
