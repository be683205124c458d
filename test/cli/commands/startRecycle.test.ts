import { afterEach, describe, expect, it } from "vitest";
import { type LongRunning, runCli, startCli } from "../../support/cli.ts";
import { createBlankDatabase } from "../../support/database.ts";

const running: LongRunning[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop("SIGTERM")));
});

const logLines = (output: string): { msg: string; pid?: number }[] =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));

describe("switchboard start with WORKER_MAX_JOBS", () => {
  it("replaces the recycled worker with a fresh one while the API keeps answering", async () => {
    const url = await createBlankDatabase();
    const start = startCli(["start"], {
      PORT: "0",
      DATABASE_URL: url,
      SIMULATED_INBOUND_CALLS_PER_MINUTE: "0",
      WORKER_MAX_JOBS: "3",
      WORKER_HEARTBEAT_MS: "500",
      // One job at a time, so each worker recycles after exactly three.
      LANE_CONCURRENCY: "realtime=1",
      // The test polls every job's status.
      API_RATE_LIMIT: "1000/s",
    });
    running.push(start);
    const { url: api } = await start.waitForLog("API listening");
    await start.waitForLog("worker started");
    const created = await runCli(["token", "create", "--name", "recycle", "--scope", "operate"], {
      DATABASE_URL: url,
      LOG_LEVEL: "silent",
    });
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout.trim());
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

    const jobs = 10;
    const ids: string[] = [];
    for (let index = 0; index < jobs; index++) {
      const response = await fetch(`${api}/api/tasks/debug_task/execute/`, {
        method: "POST",
        headers,
        body: JSON.stringify({ payload: { sleep_ms: 50, index } }),
      });
      expect(response.status).toBe(202);
      ids.push(((await response.json()) as { task_id: string }).task_id);
    }

    // Every request during the recycles is answered; polled until every job succeeded.
    const answers: number[] = [];
    const deadline = Date.now() + 90_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      const ready = await fetch(`${api}/readyz`);
      answers.push(ready.status);
      statuses = await Promise.all(
        ids.map(async (id) => {
          const status = await fetch(`${api}/api/tasks/status/${id}/`, { headers });
          answers.push(status.status);
          return ((await status.json()) as { status: string }).status;
        }),
      );
      if (statuses.every((status) => status === "succeeded")) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const workerLog = () =>
      logLines(start.output())
        .filter((line) => line.msg !== "request")
        .map((line) => JSON.stringify(line).slice(0, 400))
        .join("\n");
    expect(statuses, workerLog()).toEqual(Array(jobs).fill("succeeded"));
    expect(answers.filter((status) => status !== 200)).toEqual([]);

    // Each recycled worker is replaced by a fresh process: one more worker started than recycled.
    const workers = () => {
      const lines = logLines(start.output());
      return {
        recycled: lines.filter((line) => line.msg === "worker recycled; starting a fresh one")
          .length,
        pids: new Set(lines.filter((line) => line.msg === "worker started").map((l) => l.pid)),
        crashed: lines.filter((line) => line.msg.includes("exited unexpectedly")).length,
      };
    };
    const settled = Date.now() + 30_000;
    while (workers().pids.size <= workers().recycled && Date.now() < settled) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { recycled, pids, crashed } = workers();
    // 10 jobs, one at a time, at most a few past the limit of 3 each: at least two recycles.
    expect(recycled).toBeGreaterThanOrEqual(2);
    expect(pids.size).toBe(recycled + 1);
    expect(pids.has(start.child.pid)).toBe(false);
    expect(crashed).toBe(0);

    expect(await start.stop("SIGTERM")).toBe(0);
    // A clean stop starts no other worker: every worker started is the first or replaces one
    // that recycled (the last may still recycle as the stop arrives).
    const after = workers();
    expect(after.pids.size).toBeLessThanOrEqual(after.recycled + 1);
    expect(after.crashed).toBe(0);
  }, 150_000);
});
