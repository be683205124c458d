import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { type LongRunning, runCli, startCli } from "../../support/cli.ts";
import { createBlankDatabase, testDatabaseUrl } from "../../support/database.ts";
import { tempFolder } from "../../support/tempFolder.ts";

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
    const url = await createBlankDatabase();
    const process = start({ DATABASE_URL: url, SIMULATED_INBOUND_CALLS_PER_MINUTE: "0" });
    const using = await process.waitForLog("using PostgreSQL from DATABASE_URL");
    expect(String(using.database)).not.toContain("undefined");
    const listening = await process.waitForLog("API listening");
    expect((await readyz(listening)).status).toBe(200);
    await process.waitForLog("worker started");
    expect(await process.stop("SIGTERM")).toBe(0);
    // SIMULATED_INBOUND_CALLS_PER_MINUTE=0: no simulated call center, nothing seeded.
    expect(process.output()).not.toContain("simulated call center");
    expect(await query(url, "select count(*)::int as n from call_queues")).toEqual([{ n: 0 }]);
  });

  it("offline, plays a call center: inbound callers wait, are answered or give up", async () => {
    const url = await createBlankDatabase();
    const process = start({
      DATABASE_URL: url,
      SIMULATED_INBOUND_CALLS_PER_MINUTE: "60",
      SIMULATED_AGENTS: "3",
    });
    const playing = await process.waitForLog(
      "simulated call center: callers ring the call queues (SIMULATED_INBOUND_CALLS_PER_MINUTE=0 turns it off)",
    );
    expect(playing).toMatchObject({
      callQueues: ["support", "sales", "billing"],
      agents: 3,
      callsPerMinute: 60,
    });
    const outcomes = async () =>
      query(
        url,
        `select outcome, count(*)::int as n, count(wait_seconds)::int as waited
         from calls where direction = 'inbound' and outcome is not null group by 1 order by 1`,
      );
    const deadline = Date.now() + 90_000;
    let seen = await outcomes();
    while (seen.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      seen = await outcomes();
    }
    expect(seen.map((row) => row.outcome)).toEqual(["abandoned", "completed"]);
    for (const row of seen) expect(row.waited).toBe(row.n);
    expect(await process.stop("SIGTERM")).toBe(0);
    // The desks said offline when the process stopped, and their token is revoked.
    const lastStates = await query(
      url,
      `select distinct on (agent_id) state from agent_state_events
       order by agent_id, started_at desc`,
    );
    expect(lastStates).toEqual([{ state: "offline" }, { state: "offline" }, { state: "offline" }]);
    expect(
      await query(
        url,
        "select count(*)::int as n from api_tokens where name like 'simulated-agent-desks-%' and revoked_at is null",
      ),
    ).toEqual([{ n: 0 }]);
    const logged = await query(
      url,
      "select distinct kind from webhook_logs where kind <> 'call-status' order by kind",
    );
    expect(logged.map((row) => row.kind)).toEqual([
      "agent-answer",
      "agent-leg",
      "call-queue-result",
      "inbound-call",
    ]);
  }, 150_000);

  it("exits non-zero naming the variable when PORT is not a number", async () => {
    const result = await runCli(["start"], { PORT: "abc", DATABASE_URL: testDatabaseUrl() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("PORT: expected a number");
  });

  it("boots the embedded server without DATABASE_URL and reuses its data", async () => {
    const dataDir = await tempFolder("switchboard-embedded-");
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

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function password(dataDir: string) {
  const { readFile } = await import("node:fs/promises");
  return encodeURIComponent((await readFile(path.join(dataDir, "password"), "utf8")).trim());
}
