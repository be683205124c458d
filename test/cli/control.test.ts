import { userInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { runCli } from "../support/cli.ts";
import { testDatabaseUrl } from "../support/database.ts";
import { db, execution } from "../support/engine.ts";

const actor = `cli:${userInfo().username}`;
const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });
const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe("operator commands", () => {
  it("pauses and resumes a lane", async () => {
    const paused = await runCli(["lane", "pause", "reports"], env());
    expect(paused.code).toBe(0);
    expect(parseLines(paused.stdout)).toEqual([{ lane: "reports", paused: true }]);
    const row = await db()
      .selectFrom("lane_states")
      .selectAll()
      .where("lane", "=", "reports")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ paused: true, changed_by: actor });
    expect((await runCli(["lane", "resume", "reports"], env())).code).toBe(0);
  });

  it("refuses an unknown lane, naming it", async () => {
    const result = await runCli(["lane", "pause", "phones"], env());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("'phones' is invalid");
  });

  it("cancels a waiting execution and reports unknown or malformed ids", async () => {
    const task = defineTask({
      name: "send_report_email",
      lane: "email",
      payload: z.object({}),
      run: async () => null,
    });
    const id = await enqueue(db(), task, {}, { delayMs: 60_000 });
    const cancelled = await runCli(["cancel", id], env());
    expect(parseLines(cancelled.stdout)).toEqual([{ id, outcome: "cancelled" }]);
    expect((await execution(id)).status).toBe("cancelled");

    const unknown = await runCli(["cancel", "6f1c1d1e-0000-4000-8000-000000000000"], env());
    expect(unknown.code).toBe(1);
    expect(parseLines(unknown.stdout)[0].outcome).toBe("not_found");

    const malformed = await runCli(["cancel", "12"], env());
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain("execution id: expected a UUID");
  });

  it("lists dead executions", async () => {
    const listed = await runCli(["dead", "--limit", "5"], env());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe("");
    const bad = await runCli(["dead", "--limit", "zero"], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--limit: expected a positive number");
  });
});
