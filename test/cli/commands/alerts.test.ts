import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl, testDb } from "../../support/database.ts";

const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });

beforeAll(async () => {
  await sql`
    insert into alerts (condition, instance_key, severity, summary, started_at, resolved_at)
    values ('circuit_open', 'twilio', 'critical', 'circuit breaker twilio is open',
            '2026-12-06T10:00:00Z', '2026-12-06T10:20:00Z'),
           ('lane_wait', 'reports', 'critical', 'lane reports: oldest waiting job is 812 s old',
            '2026-12-06T11:00:00Z', null)`.execute(testDb().db);
});

describe("switchboard alerts", () => {
  it("lists alerts newest first, one line each", async () => {
    const listed = await runCli(["alerts"], env());
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^2026-12-06T11:00:00Z {2}OPEN +critical +lane_wait +lane reports: oldest waiting job is 812 s old$/,
    );
    expect(lines[1]).toMatch(/^2026-12-06T10:00:00Z {2}resolved 2026-12-06T10:20:00Z +critical/);
  });

  it("prints JSON lines with --json and filters by status", async () => {
    const listed = await runCli(["alerts", "--json", "--status", "resolved"], env());
    expect(listed.code).toBe(0);
    const lines = listed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        condition: "circuit_open",
        instance_key: "twilio",
        status: "resolved",
        started_at: "2026-12-06T10:00:00.000Z",
        resolved_at: "2026-12-06T10:20:00.000Z",
      }),
    ]);
  });

  it("refuses a bad status or limit, naming it", async () => {
    const badStatus = await runCli(["alerts", "--status", "firing"], env());
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.stderr).toContain("--status");
    const badLimit = await runCli(["alerts", "--limit", "0"], env());
    expect(badLimit.code).not.toBe(0);
    expect(badLimit.stderr).toContain("--limit: expected a number from 1 to 500");
  });
});
