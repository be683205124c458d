/**
 * Secrets an installation generates for itself when none is configured: the recording
 * encryption key (`recording.key`) and the Twilio simulator's auth token (`simulator.token`).
 * Each is generated once into a file of its own (mode 0600) in the folder that holds the local
 * recordings folder (`.switchboard/` by default), and read back by every process of the
 * installation. The file is as secret as its value.
 *
 * @example
 * const key = await readOrCreateLocalSecret(localSecretPath(config, "recording.key"), generateEncryptionKey);
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config.ts";

export type LocalSecretName = "recording.key" | "simulator.token";

/** Where the installation keeps the secret `name`. */
export function localSecretPath(
  config: { recordings: Pick<Config["recordings"], "localDir"> },
  name: LocalSecretName,
): string {
  return path.resolve(path.dirname(config.recordings.localDir), name);
}

/**
 * The secret stored in `file`, generated with `generate` first if the file does not exist.
 * Processes that start together agree on one value: the secret is written whole to a file of
 * its own and then linked into place, which fails for all but the first.
 */
export async function readOrCreateLocalSecret(
  file: string,
  generate: () => string,
): Promise<string> {
  const existing = await readSecret(file);
  if (existing !== undefined) return existing;
  await mkdir(path.dirname(file), { recursive: true });
  const candidate = `${file}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(candidate, `${generate()}\n`, { mode: 0o600, flush: true });
    await link(candidate, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  } finally {
    await rm(candidate, { force: true });
  }
  const stored = await readSecret(file);
  if (stored === undefined) throw new Error(`could not create the secret file ${file}`);
  return stored;
}

async function readSecret(file: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const secret = content.trim();
  if (secret === "") throw new Error(`the secret file ${file} is empty: delete it to generate one`);
  return secret;
}
