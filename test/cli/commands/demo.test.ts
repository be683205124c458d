import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.ts";
import { createBlankDatabase } from "../../support/database.ts";
import { tempFolder } from "../../support/tempFolder.ts";

describe("switchboard demo", () => {
  it("runs a campaign through the whole stack: calls end, recordings are stored", async () => {
    const url = await createBlankDatabase();
    const recordings = await tempFolder("switchboard-demo-");
    const result = await runCli(["demo", "--exit"], {
      DATABASE_URL: url,
      PORT: "0",
      RECORDING_STORAGE_DIR: path.join(recordings, "store"),
      LOG_LEVEL: "warn",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Demo campaign [0-9a-f-]{36} finished/);
    const client = new pg.Client(url);
    await client.connect();
    try {
      const calls = await client.query(
        "select status, count(*)::int as n from calls where direction <> 'inbound' group by 1 order by 1",
      );
      expect(calls.rows).toEqual([
        { status: "busy", n: 1 },
        { status: "completed", n: 7 },
        { status: "failed", n: 1 },
        { status: "no-answer", n: 1 },
      ]);
      const stored = await client.query(
        "select count(*)::int as n from recordings where status = 'stored' and encrypted",
      );
      expect(stored.rows[0].n).toBe(7);
      const seeded = await client.query(
        "select (select count(*)::int from agents) as agents, (select count(*)::int from call_queues) as queues",
      );
      expect(seeded.rows[0]).toEqual({ agents: 6, queues: 3 });
      // The simulated call center played while the campaign ran: every inbound call it placed
      // is in a seeded call queue, and the demo says where to look.
      const inbound = await client.query(
        "select count(*)::int as n, count(*) filter (where call_queue_id is null)::int as stray from calls where direction = 'inbound'",
      );
      expect(inbound.rows[0].stray).toBe(0);
      const shown = /Simulated inbound calls so far: (\d+)/.exec(result.stdout)?.[1];
      // Counted before the demo stopped; a caller may have rung in since.
      expect(Number(shown)).toBeLessThanOrEqual(inbound.rows[0].n);
      expect(result.stdout).toContain("/api/calls?direction=inbound");
    } finally {
      await client.end();
    }
  }, 120_000);
});
