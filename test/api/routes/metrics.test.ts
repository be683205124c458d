import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { Hono } from "hono";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AppEnv } from "../../../src/api/context.ts";
import { toErrorResponse } from "../../../src/api/errors.ts";
import { metricsRoutes } from "../../../src/api/routes/metrics.ts";
import { executionCancel } from "../../../src/control/cancel.ts";
import type { Pool } from "../../../src/database/pool.ts";
import { setLanePaused } from "../../../src/engine/control/laneState.ts";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { PermanentError } from "../../../src/engine/errors.ts";
import { reconcileVanishedJobs } from "../../../src/engine/ledger/reconcile.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { deleteOldExecutions } from "../../../src/maintenance/executionRetention.ts";
import { RUN_SECONDS_BUCKETS } from "../../../src/monitoring/metricsQueries.ts";
import { createTestPool, testDb } from "../../support/database.ts";
import { db, startTestWorker, waitForStatus } from "../../support/engine.ts";
import { tempFolder } from "../../support/tempFolder.ts";

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

/** Fails its first attempt, succeeds on the second. */
const flaky = defineTask({
  name: "metrics_flaky",
  lane: "analytics",
  payload: z.object({}),
  retry: { kind: "fixed", delayMs: 50 },
  run: async (_payload, ctx) => {
    if (ctx.attempt === 1) throw new TypeError("first try fails");
    return null;
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

let cancelledId = "";

beforeAll(async () => {
  // Real jobs: three succeed, one dies, one succeeds at its second try, three wait (two due,
  // one scheduled in an hour), one of those waiting is then cancelled by an operator.
  const worker = await startTestWorker([quick, refused, flaky]);
  const done = await enqueueMany(
    db(),
    [0, 1, 2].map((n) => ({ task: quick, payload: { n } })),
  );
  const dead = await enqueue(db(), refused, {});
  const retried = await enqueue(db(), flaky, {});
  await enqueueMany(db(), [
    { task: unserved, payload: {} },
    { task: unserved, payload: {} },
    { task: unserved, payload: {} },
  ]);
  await enqueue(db(), unserved, {}, { delayMs: 3_600_000 });
  for (const id of done) await waitForStatus(id, "succeeded");
  await waitForStatus(dead, "dead");
  await waitForStatus(retried, "succeeded");
  await worker.stop();

  const queued = await db()
    .selectFrom("executions")
    .select("public_id")
    .where("task_name", "=", "metrics_export")
    .where("status", "=", "queued")
    .executeTakeFirstOrThrow();
  cancelledId = queued.public_id;
  expect(
    await executionCancel(db(), { publicId: cancelledId, actor: "test", requestId: null }),
  ).toBe("cancelled");

  // A running execution whose job vanished: the reconcile sweep ends it, succeeded, 3 s run.
  await sql`
    insert into executions (task_name, lane, status, payload, priority, max_attempts, attempts,
                            run_at, started_at, job_id)
    values ('metrics_report', 'reports', 'running', '{}', 3, 3, 1, now() - interval '4 s',
            now() - interval '3 s', 987654321)`.execute(db());
  expect(await reconcileVanishedJobs(db())).toBe(1);

  await setLanePaused(db(), "reports", true, "test");
  await insertWorker("realtime", 1, 3);
  await insertWorker("realtime", 120, 5);
  await insertWorker("processing", 1, 2, true);
});

describe("GET /metrics", () => {
  it("serves the Prometheus text format from its own registry, without process metrics", async () => {
    const { response, text } = await scrape();
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain("# TYPE switchboard_tasks_total counter");
    expect(text).toContain("# TYPE switchboard_task_errors_total counter");
    expect(text).toContain("# TYPE switchboard_task_duration_seconds histogram");
    expect(text).toContain("# TYPE switchboard_workers gauge");
    expect(text).toContain("# TYPE switchboard_lane_backlog gauge");
    expect(text).not.toMatch(/process_cpu|nodejs_/);
  });

  it("counts every ending once: worker successes, retries, deaths, API cancels, reconcile sweeps", async () => {
    const samples = parseMetrics((await scrape()).text);
    const count = (lane: string, task: string, status: string) =>
      pick(samples, "switchboard_tasks_total", { lane, task, status });
    expect(count("realtime", "metrics_quick", "succeeded")).toBe(3);
    expect(count("realtime", "metrics_quick", "dead")).toBe(0);
    expect(count("notifications", "metrics_refused", "dead")).toBe(1);
    expect(count("analytics", "metrics_flaky", "succeeded")).toBe(1);
    expect(count("exports", "metrics_export", "cancelled")).toBe(1);
    expect(count("reports", "metrics_report", "succeeded")).toBe(1);
    // Live statuses are not counters.
    expect(
      samples.some((s) => s.name === "switchboard_tasks_total" && s.labels.status === "queued"),
    ).toBe(false);

    // Every ending in the ledger is counted exactly once.
    const { rows } = await sql<{ lane: string; task: string; status: string; n: number }>`
      select lane, task_name as task, status, count(*)::int as n from executions
      where status in ('succeeded', 'dead', 'cancelled', 'expired')
      group by 1, 2, 3`.execute(db());
    for (const { lane, task, status, n } of rows) expect(count(lane, task, status), task).toBe(n);
    const total = samples
      .filter((s) => s.name === "switchboard_tasks_total")
      .reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(rows.reduce((sum, row) => sum + row.n, 0));
  });

  it("counts failed attempts by error class, retried ones included", async () => {
    const samples = parseMetrics((await scrape()).text);
    const errors = samples.filter((s) => s.name === "switchboard_task_errors_total");
    expect(errors.map((s) => [s.labels.task, s.labels.error_class, s.value]).sort()).toEqual([
      ["metrics_flaky", "TypeError", 1],
      ["metrics_refused", "PermanentError", 1],
    ]);
  });

  it("reports the live backlog by lane and status, the oldest wait and paused lanes", async () => {
    const samples = parseMetrics((await scrape()).text);
    const backlog = (lane: string, status: string) =>
      pick(samples, "switchboard_lane_backlog", { lane, status });
    expect(backlog("exports", "queued")).toBe(2);
    expect(backlog("exports", "scheduled")).toBe(1);
    expect(backlog("exports", "running")).toBe(0);
    expect(backlog("webhooks", "queued")).toBe(0);
    expect(
      pick(samples, "switchboard_lane_oldest_waiting_seconds", { lane: "exports" }),
    ).toBeLessThan(60);
    expect(pick(samples, "switchboard_lane_paused", { lane: "reports" })).toBe(1);
    expect(pick(samples, "switchboard_lane_paused", { lane: "exports" })).toBe(0);
  });

  it("counts live workers and their running jobs by type", async () => {
    const samples = parseMetrics((await scrape()).text);
    expect(pick(samples, "switchboard_workers", { type: "realtime" })).toBe(1);
    expect(pick(samples, "switchboard_worker_running_jobs", { type: "realtime" })).toBe(3);
    expect(pick(samples, "switchboard_workers", { type: "processing" })).toBe(0);
    // The test worker stopped cleanly.
    expect(pick(samples, "switchboard_workers", { type: "all" })).toBe(0);
    const patient = parseMetrics((await scrape(testDb().pool, 180_000)).text);
    expect(pick(patient, "switchboard_workers", { type: "realtime" })).toBe(2);
  });

  it("builds cumulative run-time histograms whose +Inf bucket is _count, with _sum", async () => {
    const samples = parseMetrics((await scrape()).text);
    const series = (suffix: string) =>
      samples.filter((s) => s.name === `switchboard_task_duration_seconds${suffix}`);
    const keys = new Set(series("_count").map((s) => `${s.labels.lane}/${s.labels.task}`));
    // The cancelled execution never started: no run time.
    expect([...keys].sort()).toEqual([
      "analytics/metrics_flaky",
      "notifications/metrics_refused",
      "realtime/metrics_quick",
      "reports/metrics_report",
    ]);
    for (const key of keys) {
      const [lane, task] = key.split("/") as [string, string];
      const buckets = series("_bucket").filter(
        (s) => s.labels.lane === lane && s.labels.task === task,
      );
      const bounds = buckets.map((s) => (s.labels.le === "+Inf" ? Infinity : Number(s.labels.le)));
      expect(bounds).toEqual([...RUN_SECONDS_BUCKETS, Infinity]);
      const values = buckets.map((s) => s.value);
      for (let i = 1; i < values.length; i++) {
        expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
      }
      const count = pick(samples, "switchboard_task_duration_seconds_count", { lane, task });
      expect(values.at(-1)).toBe(count);
      const sum = pick(samples, "switchboard_task_duration_seconds_sum", { lane, task }) ?? -1;
      expect(sum).toBeGreaterThanOrEqual(0);
      expect(sum).toBeLessThanOrEqual((count ?? 0) * 1800);
    }
    const bucket = (le: string) =>
      pick(samples, "switchboard_task_duration_seconds_bucket", { task: "metrics_report", le });
    expect(bucket("2.5")).toBe(0);
    expect(bucket("5")).toBe(1);
    expect(
      pick(samples, "switchboard_task_duration_seconds_sum", { task: "metrics_report" }),
    ).toBeCloseTo(3, 0);
    expect(
      pick(samples, "switchboard_task_duration_seconds_count", { task: "metrics_quick" }),
    ).toBe(3);
    // 30 ms runs: none under 0.025 s, all under 10 s.
    expect(
      pick(samples, "switchboard_task_duration_seconds_bucket", {
        task: "metrics_quick",
        le: "10",
      }),
    ).toBe(3);
  });

  it("never decreases its counters when retention deletes the executions", async () => {
    const before = parseMetrics((await scrape()).text);
    const { deleted } = await deleteOldExecutions(db(), {
      days: 1,
      now: new Date(Date.now() + 2 * 86_400_000),
    });
    expect(deleted).toBeGreaterThanOrEqual(7);
    const after = parseMetrics((await scrape()).text);
    const counters = (samples: Sample[]) =>
      samples.filter((s) =>
        /^switchboard_(tasks_total|task_errors_total|task_duration_seconds_(bucket|count|sum))$/.test(
          s.name,
        ),
      );
    expect(counters(before).length).toBeGreaterThan(10);
    expect(counters(after)).toEqual(counters(before));
  });

  it("gives the same numbers from two app instances over two pools", async () => {
    const [first, second] = await Promise.all([
      scrape(createTestPool(2)),
      scrape(createTestPool(2)),
    ]);
    const stable = (text: string) =>
      parseMetrics(text).filter((s) => s.name !== "switchboard_lane_oldest_waiting_seconds");
    expect(stable(first.text)).toEqual(stable(second.text));
  });

  it("answers concurrent scrapes of one app with one set of queries", async () => {
    const app = metricsApp(testDb().pool);
    const texts = await Promise.all(
      [1, 2, 3].map(async () => (await app.request("/metrics")).text()),
    );
    expect(new Set(texts).size).toBe(1);
  });

  it("passes promtool check metrics, where promtool is installed", async () => {
    const { text } = await scrape();
    const file = path.join(await tempFolder("switchboard-metrics-"), "metrics.txt");
    await writeFile(file, text);
    const run = promisify(execFile);
    const checked = await run("sh", ["-c", `promtool check metrics < ${file}`]).then(
      () => "ok",
      (error: { code?: number | string; stdout?: string; stderr?: string }) =>
        error.code === 127 ? "absent" : `${error.stdout ?? ""}${error.stderr ?? ""}`,
    );
    expect(["ok", "absent"]).toContain(checked);
  });
});
