import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../src/database/embedded.ts";
import { type LongRunning, runCli, startCli } from "../../support/cli.ts";
import { tempFolder } from "../../support/tempFolder.ts";

const running: LongRunning[] = [];
afterEach(async () => {
  // SIGTERM, not SIGKILL: a clean stop also stops the embedded server it started.
  await Promise.all(running.splice(0).map((process) => process.stop("SIGTERM")));
});

const tokenCreate = (dataDir: string, name: string) =>
  runCli(["token", "create", "--name", name, "--scope", "read"], {
    EMBEDDED_POSTGRES_DIR: dataDir,
    LOG_LEVEL: "silent",
  });

describe("commands beside a running `switchboard start` on the embedded server", () => {
  it("`token create` uses the running server, whose API then accepts the token", async () => {
    const dataDir = await tempFolder("switchboard-beside-");
    const start = startCli(["start"], {
      PORT: "0",
      EMBEDDED_POSTGRES_DIR: dataDir,
      SIMULATED_INBOUND_CALLS_PER_MINUTE: "0",
    });
    running.push(start);
    const listening = await start.waitForLog("API listening");

    const record = path.join(dataDir, "connection.json");
    expect((await stat(record)).mode & 0o777).toBe(0o600);
    const using = await start.waitForLog("using embedded PostgreSQL");
    const { port, passwordFile } = JSON.parse(await readFile(record, "utf8"));
    expect(String(using.database)).toContain(`127.0.0.1:${port}/`);
    expect(passwordFile).toBe(path.join(dataDir, "password"));

    const created = await tokenCreate(dataDir, "beside-start");
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout.trim().split("\n").at(-1) as string);
    const tasks = await fetch(`${listening.url}/api/tasks/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(tasks.status).toBe(200);
    // The command left the server it borrowed running.
    expect((await fetch(`${listening.url}/readyz`)).status).toBe(200);

    expect(await start.stop("SIGTERM")).toBe(0);
    await expect(stat(record)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("ignores a stale record and starts a server of its own", async () => {
    const dataDir = await tempFolder("switchboard-stale-");
    const migrated = await runCli(["migrate"], { EMBEDDED_POSTGRES_DIR: dataDir });
    expect(migrated.code, migrated.stderr).toBe(0);
    const record = path.join(dataDir, "connection.json");
    await expect(stat(record)).rejects.toThrow(/ENOENT/);
    // As a killed process leaves it: nothing listens on that port any more.
    await writeFile(
      record,
      JSON.stringify({
        port: await freePort(),
        passwordFile: path.join(dataDir, "password"),
        pid: 999_999,
        startedAt: new Date().toISOString(),
      }),
    );
    const created = await tokenCreate(dataDir, "no-server");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('"name":"no-server"');
    // Its own server stopped cleanly, and took its record along.
    await expect(stat(record)).rejects.toThrow(/ENOENT/);
  }, 120_000);
});
