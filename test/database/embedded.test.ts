import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedPostgres } from "../../src/database/embedded.ts";

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

describe("the embedded PostgreSQL", () => {
  it("refuses a data folder of another major version, naming both and the way out", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-embedded-"));
    folders.push(dataDir);
    await mkdir(path.join(dataDir, "data"));
    await writeFile(path.join(dataDir, "data", "PG_VERSION"), "17\n");
    await writeFile(path.join(dataDir, "password"), "secret");

    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
      `EMBEDDED_POSTGRES_DIR: ${dataDir} holds PostgreSQL 17 data, but the embedded server is PostgreSQL 18; remove the folder`,
    );
  });
});
