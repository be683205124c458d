import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localSecretPath, readOrCreateLocalSecret } from "../../src/shared/localSecrets.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "switchboard-secrets-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let generated = 0;
const generate = () => `secret-${++generated}`;

describe("local secrets", () => {
  it("live beside the local recordings folder", () => {
    expect(
      localSecretPath({ recordings: { localDir: "/srv/sb/recordings" } }, "simulator.token"),
    ).toBe("/srv/sb/simulator.token");
  });

  it("are generated once, readable by their owner only, and read back afterwards", async () => {
    const file = path.join(dir, "nested", "simulator.token");
    const first = await readOrCreateLocalSecret(file, generate);
    expect(first).toMatch(/^secret-\d+$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readOrCreateLocalSecret(file, generate)).toBe(first);
    expect(await readdir(path.dirname(file))).toEqual(["simulator.token"]);
  });

  it("come out the same for processes creating them at the same moment", async () => {
    const file = path.join(dir, "recording.key");
    const secrets = await Promise.all(
      Array.from({ length: 20 }, () => readOrCreateLocalSecret(file, generate)),
    );
    expect(new Set(secrets).size).toBe(1);
    expect(await readdir(dir)).toEqual(["recording.key"]);
  });

  it("refuse an empty file, naming it", async () => {
    const file = path.join(dir, "simulator.token");
    await writeFile(file, "\n");
    await expect(readOrCreateLocalSecret(file, generate)).rejects.toThrow(
      `the secret file ${file} is empty`,
    );
  });
});
