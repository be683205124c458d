import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl } from "../../support/database.ts";

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("switchboard probe", () => {
  it("fails with the reason when the API does not answer", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(["probe", "api", "--url", url], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`probe: cannot reach ${url}: connect ECONNREFUSED`);
  });

  it("answers for the database, and fails for a worker when none runs on this host", async () => {
    const env = { DATABASE_URL: testDatabaseUrl() };
    const database = await runCli(["probe", "database"], env);
    expect(database.code, database.stderr).toBe(0);
    expect(database.stdout.trim()).toBe("database answers");
    const worker = await runCli(["probe", "worker"], env);
    expect(worker.code).toBe(1);
    expect(worker.stderr).toMatch(/^probe: no live worker on host \S+/);
  });

  it("refuses without DATABASE_URL and a timeout that is not a positive number", async () => {
    const noDatabase = await runCli(["probe", "database"], {});
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toContain("probe: DATABASE_URL is not set");
    const badTimeout = await runCli(["probe", "database", "--timeout", "soon"], {});
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toContain("--timeout must be a positive number of seconds");
    const badPart = await runCli(["probe", "queue"], {});
    expect(badPart.code).not.toBe(0);
    expect(badPart.stderr).toContain("Allowed choices are api, worker, database");
  });
});
