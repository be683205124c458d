import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { type LongRunning, runCli, startCli } from "../../support/cli.ts";
import { createBlankDatabase, testDatabaseUrl } from "../../support/database.ts";

const running: LongRunning[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop("SIGKILL")));
});

function start(env: Record<string, string>) {
  const process = startCli(["start"], { PORT: "0", ...env });
  running.push(process);
  return process;
}

async function readyz(listening: Record<string, unknown>) {
  return fetch(`${listening.url}/readyz`);
}

describe("switchboard start", () => {
  it("migrates, serves the API and stops cleanly on SIGTERM", async () => {
    const process = start({ DATABASE_URL: testDatabaseUrl() });
    const using = await process.waitForLog("using PostgreSQL from DATABASE_URL");
    expect(String(using.database)).not.toContain("undefined");
    const listening = await process.waitForLog("API listening");
    expect((await readyz(listening)).status).toBe(200);
    await process.waitForLog("worker started");
    expect(await process.stop("SIGTERM")).toBe(0);
  });

  it("exits non-zero naming the variable when PORT is not a number", async () => {
    const result = await runCli(["start"], { PORT: "abc", DATABASE_URL: testDatabaseUrl() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("PORT: expected a number");
  });

  it("boots the embedded server without DATABASE_URL and reuses its data", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-embedded-"));
    const first = start({ EMBEDDED_POSTGRES_DIR: dataDir });
    const listening = await first.waitForLog("API listening");
    expect((await readyz(listening)).status).toBe(200);
    const using = await first.waitForLog("using embedded PostgreSQL");
    const client = new pg.Client(String(using.database).replace("****", await password(dataDir)));
    await client.connect();
    await client.query("create table marker (note text); insert into marker values ('kept')");
    await client.end();
    expect(await first.stop("SIGINT")).toBe(0);

    const second = start({ EMBEDDED_POSTGRES_DIR: dataDir });
    const again = await second.waitForLog("using embedded PostgreSQL");
    await second.waitForLog("API listening");
    const reconnect = new pg.Client(
      String(again.database).replace("****", await password(dataDir)),
    );
    await reconnect.connect();
    const { rows } = await reconnect.query("select note from marker");
    await reconnect.end();
    expect(rows).toEqual([{ note: "kept" }]);
    const exitCode = await second.stop("SIGTERM");
    expect(exitCode, second.output().slice(-3000)).toBe(0);
  }, 90_000);
});

describe("switchboard migrate", () => {
  it("applies each migration once when run twice at the same time", async () => {
    const url = await createBlankDatabase();
    const [a, b] = await Promise.all([
      runCli(["migrate"], { DATABASE_URL: url }),
      runCli(["migrate"], { DATABASE_URL: url }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const client = new pg.Client(url);
    await client.connect();
    const { rows } = await client.query(
      "select name, count(*)::int as n from switchboard_migrations group by name having count(*) > 1",
    );
    const installed = await client.query(
      "select count(*)::int as n from graphile_worker.migrations",
    );
    await client.end();
    expect(rows).toEqual([]);
    expect(installed.rows[0].n).toBeGreaterThan(0);
  });

  it("exits non-zero with the reason when the database is unreachable", async () => {
    const result = await runCli(["migrate"], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ECONNREFUSED|connect/);
  });
});

async function password(dataDir: string) {
  const { readFile } = await import("node:fs/promises");
  return encodeURIComponent((await readFile(path.join(dataDir, "password"), "utf8")).trim());
}
