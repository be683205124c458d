import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppEnv } from "../../../src/api/context.ts";
import { toErrorResponse } from "../../../src/api/errors.ts";
import { metricsRoutes } from "../../../src/api/routes/metrics.ts";
import type { Pool } from "../../../src/database/pool.ts";
import { setLanePaused } from "../../../src/engine/control/laneState.ts";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { PermanentError } from "../../../src/engine/errors.ts";
import type { ExecutionStatus } from "../../../src/engine/executionStatus.ts";
import type { LaneName } from "../../../src/engine/lanes.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { createTestPool, testDb } from "../../support/database.ts";
import { db, startTestWorker, waitForStatus } from "../../support/engine.ts";

const quick = defineTask({
  name: "metrics_quick",
  lane: "realtime",
  payload: z.object({ n: z.number() }),
  run: async () => {
    await sleep(30);
    return null;
  },
});

const refused = defineTask({
  name: "metrics_refused",
  lane: "notifications",
  payload: z.object({}),
  run: async () => {
    throw new PermanentError("carrier refused");
  },
});

/** No worker serves it here, so its jobs stay waiting. */
const unserved = defineTask({
  name: "metrics_export",
  lane: "exports",
  payload: z.object({}),
  run: async () => null,
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for these metrics). */
function parseMetrics(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsable metrics line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key as string] = value as string;
      }
      const raw = match[3] as string;
      return { name: match[1] as string, labels, value: raw === "+Inf" ? Infinity : Number(raw) };
    });
}

function pick(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

function metricsApp(pool: Pool, silentAfterMs?: number) {
  return new Hono<AppEnv>()
    .route("/", metricsRoutes({ pool, ...(silentAfterMs ? { silentAfterMs } : {}) }))
    .onError(toErrorResponse);
}

async function scrape(pool: Pool = testDb().pool, silentAfterMs?: number) {
  const response = await metricsApp(pool, silentAfterMs).request("/metrics");
  expect(response.status).toBe(200);
  return { response, text: await response.text() };
}

const ago = (seconds: number) => sql<Date>`now() - ${seconds}::float8 * interval '1 second'`;

async function insertExecution(
  status: ExecutionStatus,
  fields: {
    startedSecondsAgo?: number;
    finishedSecondsAgo?: number;
    runAtSecondsAgo?: number;
    errorClass?: string;
  },
) {
  await db()
    .insertInto("executions")
    .values({
      task_name: "metrics_report",
      lane: "reports" satisfies LaneName,
      status,
      payload: "{}",
      priority: 3,
      max_attempts: 3,
      run_at: fields.runAtSecondsAgo === undefined ? sql`now()` : ago(fields.runAtSecondsAgo),
      started_at: fields.startedSecondsAgo === undefined ? null : ago(fields.startedSecondsAgo),
      finished_at: fields.finishedSecondsAgo === undefined ? null : ago(fields.finishedSecondsAgo),
      error_class: fields.errorClass ?? null,
    } as never)
    .execute();
}

async function insertWorker(
  type: string,
  lastSeenSecondsAgo: number,
  runningJobs: number,
  stopped = false,
) {
  await db()
    .insertInto("workers")
    .values({
      id: `${type}-${lastSeenSecondsAgo}-${stopped}`,
      type,
      lanes: [],
      host: "test",
      pid: 1,
      running_jobs: runningJobs,
      last_seen_at: ago(lastSeenSecondsAgo) as never,
      stopped_at: stopped ? sql`now()` : null,
    } as never)
    .execute();
}

beforeAll(async () => {
  // Real jobs: three succeed, one dies, three wait (two due, one scheduled in an hour).
  const worker = await startTestWorker([quick, refused]);
  const done = await enqueueMany(
    db(),
    [0, 1, 2].map((n) => ({ task: quick, payload: { n } })),
  );
  const dead = await enqueue(db(), refused, {});
  await enqueueMany(db(), [
    { task: unserved, payload: {} },
    { task: unserved, payload: {} },
  ]);
  await enqueue(db(), unserved, {}, { delayMs: 3_600_000 });
  for (const id of done) await waitForStatus(id, "succeeded");
  await waitForStatus(dead, "dead");
  await worker.stop();

  // Older history, written directly.
  await insertExecution("succeeded", { startedSecondsAgo: 1803, finishedSecondsAgo: 1800 });
  await insertExecution("succeeded", { startedSecondsAgo: 7210, finishedSecondsAgo: 7200 });
  await insertExecution("succeeded", {
    startedSecondsAgo: 3 * 86400,
    finishedSecondsAgo: 3 * 86400,
  });
  await insertExecution("dead", {
    startedSecondsAgo: 5401,
    finishedSecondsAgo: 5400,
    errorClass: "TwilioRestError",
  });
  await insertExecution("dead", {
    startedSecondsAgo: 3 * 86400,
    finishedSecondsAgo: 3 * 86400,
    errorClass: "TwilioRestError",
  });
  await insertExecution("retrying", {
    startedSecondsAgo: 700,
    runAtSecondsAgo: 600,
    errorClass: "TimeoutError",
  });
  await insertExecution("running", { startedSecondsAgo: 5 });
  await insertExecution("queued", { runAtSecondsAgo: 1200 });
  await setLanePaused(db(), "reports", true, "test");

  await insertWorker("realtime", 1, 3);
  await insertWorker("realtime", 120, 5);
  await insertWorker("processing", 1, 2, true);
});

describe("GET /metrics", () => {
  it("serves the Prometheus text format from its own registry, without process metrics", async () => {
    const { response, text } = await scrape();
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain("# TYPE switchboard_executions gauge");
    expect(text).toContain("# TYPE switchboard_execution_run_seconds histogram");
    expect(text).toMatch(/# HELP switchboard_executions .*24 h/);
    expect(text).not.toMatch(/process_cpu|nodejs_/);
  });

  it("counts executions by lane, task and status: live in full, finished within 24 h", async () => {
    const samples = parseMetrics((await scrape()).text);
    const count = (lane: string, task: string, status: string) =>
      pick(samples, "switchboard_executions", { lane, task, status });
    expect(count("realtime", "metrics_quick", "succeeded")).toBe(3);
    expect(count("realtime", "metrics_quick", "running")).toBe(0);
    expect(count("notifications", "metrics_refused", "dead")).toBe(1);
    expect(count("exports", "metrics_export", "queued")).toBe(2);
    expect(count("exports", "metrics_export", "scheduled")).toBe(1);
    expect(count("reports", "metrics_report", "succeeded")).toBe(2);
    expect(count("reports", "metrics_report", "dead")).toBe(1);
    expect(count("reports", "metrics_report", "retrying")).toBe(1);
    expect(count("reports", "metrics_report", "running")).toBe(1);
    expect(count("reports", "metrics_report", "queued")).toBe(1);

    // The same numbers straight from the ledger.
    const { rows } = await sql<{ status: string; count: number }>`
      select status, count(*)::int as count from executions
      where status in ('queued', 'scheduled', 'running', 'retrying')
         or finished_at >= now() - interval '24 hours'
      group by status`.execute(db());
    for (const { status, count: expected } of rows) {
      const total = samples
        .filter((s) => s.name === "switchboard_executions" && s.labels.status === status)
        .reduce((sum, s) => sum + s.value, 0);
      expect(total, status).toBe(expected);
    }
  });

  it("counts failing executions by error class", async () => {
    const samples = parseMetrics((await scrape()).text);
    const errors = samples.filter((s) => s.name === "switchboard_execution_errors");
    expect(errors.map((s) => [s.labels.task, s.labels.error_class, s.value]).sort()).toEqual([
      ["metrics_refused", "PermanentError", 1],
      ["metrics_report", "TimeoutError", 1],
      ["metrics_report", "TwilioRestError", 1],
    ]);
  });

  it("reports lane backlogs, the oldest wait and paused lanes", async () => {
    const samples = parseMetrics((await scrape()).text);
    expect(pick(samples, "switchboard_lane_backlog", { lane: "exports" })).toBe(2);
    expect(pick(samples, "switchboard_lane_backlog", { lane: "reports" })).toBe(2);
    expect(pick(samples, "switchboard_lane_backlog", { lane: "webhooks" })).toBe(0);
    const oldest = pick(samples, "switchboard_lane_oldest_waiting_seconds", { lane: "reports" });
    expect(oldest).toBeGreaterThanOrEqual(1200);
    expect(oldest).toBeLessThan(1260);
    expect(pick(samples, "switchboard_lane_paused", { lane: "reports" })).toBe(1);
    expect(pick(samples, "switchboard_lane_paused", { lane: "exports" })).toBe(0);
  });

  it("counts live workers and their running jobs by type", async () => {
    const samples = parseMetrics((await scrape()).text);
    expect(pick(samples, "switchboard_workers_alive", { type: "realtime" })).toBe(1);
    expect(pick(samples, "switchboard_worker_running_jobs", { type: "realtime" })).toBe(3);
    expect(pick(samples, "switchboard_workers_alive", { type: "processing" })).toBe(0);
    // The test worker stopped cleanly.
    expect(pick(samples, "switchboard_workers_alive", { type: "all" })).toBe(0);
  });

  it("counts a worker alive until it has been silent for WORKER_SILENT_AFTER_MS", async () => {
    // The second realtime worker was last seen 120 s ago.
    const patient = parseMetrics((await scrape(testDb().pool, 180_000)).text);
    expect(pick(patient, "switchboard_workers_alive", { type: "realtime" })).toBe(2);
    expect(pick(patient, "switchboard_worker_running_jobs", { type: "realtime" })).toBe(8);
    const strict = parseMetrics((await scrape(testDb().pool, 60_000)).text);
    expect(pick(strict, "switchboard_workers_alive", { type: "realtime" })).toBe(1);
  });

  it("builds the run-time histogram from executions finished in the last hour", async () => {
    const samples = parseMetrics((await scrape()).text);
    const series = (suffix: string) =>
      samples.filter((s) => s.name === `switchboard_execution_run_seconds${suffix}`);
    const seriesKeys = new Set(series("_count").map((s) => `${s.labels.lane}/${s.labels.task}`));
    expect([...seriesKeys].sort()).toEqual([
      "notifications/metrics_refused",
      "realtime/metrics_quick",
      "reports/metrics_report",
    ]);
    for (const key of seriesKeys) {
      const [lane, task] = key.split("/") as [string, string];
      const buckets = series("_bucket").filter(
        (s) => s.labels.lane === lane && s.labels.task === task,
      );
      const bounds = buckets.map((s) => (s.labels.le === "+Inf" ? Infinity : Number(s.labels.le)));
      expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
      expect(bounds.at(-1)).toBe(Infinity);
      const values = buckets.map((s) => s.value);
      for (let i = 1; i < values.length; i++) {
        expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
      }
      expect(values.at(-1)).toBe(
        pick(samples, "switchboard_execution_run_seconds_count", { lane, task }),
      );
    }
    const bucket = (le: string) =>
      pick(samples, "switchboard_execution_run_seconds_bucket", { task: "metrics_report", le });
    expect(bucket("2.5")).toBe(0);
    expect(bucket("5")).toBe(1);
    expect(
      pick(samples, "switchboard_execution_run_seconds_sum", { task: "metrics_report" }),
    ).toBeCloseTo(3, 3);
    expect(
      pick(samples, "switchboard_execution_run_seconds_count", { task: "metrics_quick" }),
    ).toBe(3);

    const { rows } = await sql<{ count: number }>`
      select count(*)::int as count from executions
      where finished_at >= now() - interval '1 hour' and started_at is not null`.execute(db());
    const total = series("_count").reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(rows[0]?.count);
    expect(total).toBe(5);
  });

  it("gives the same numbers from two app instances over two pools", async () => {
    const [first, second] = await Promise.all([
      scrape(createTestPool(2)),
      scrape(createTestPool(2)),
    ]);
    const stable = (text: string) =>
      parseMetrics(text).filter((s) => s.name !== "switchboard_lane_oldest_waiting_seconds");
    expect(stable(first.text)).toEqual(stable(second.text));
    const oldest = (text: string) =>
      pick(parseMetrics(text), "switchboard_lane_oldest_waiting_seconds", { lane: "reports" }) ?? 0;
    expect(Math.abs(oldest(first.text) - oldest(second.text))).toBeLessThan(2);
  });

  it("answers concurrent scrapes of one app with one set of queries", async () => {
    const app = metricsApp(testDb().pool);
    const texts = await Promise.all(
      [1, 2, 3].map(async () => (await app.request("/metrics")).text()),
    );
    expect(new Set(texts).size).toBe(1);
  });
});
