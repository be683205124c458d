/**
 * `npm run bench:reports`: reports and exports on a generated call-center history, driven
 * through the API as a user would, with the engine's throughput beside a running export.
 *
 *   generate  `generateHistory` (what `switchboard generate-calls` runs): BENCH_DAYS (90) days of
 *             BENCH_CALLS_PER_DAY (111,112) calls, 100 agents, 10 call queues — 10,000,080
 *             calls — then `vacuum analyze`, as autovacuum leaves a settled table.
 *   reports   a daily and a monthly report (POST /api/tasks/reports/generate/ with
 *             `refresh: true`, status_url polled), BENCH_ROUNDS times each after one warm-up,
 *             on a `switchboard worker --type reports` process. Timed by the execution's
 *             started/finished times from the status API, and by the wall clock from the POST
 *             to the status saying it is done.
 *   exports   CSV exports (POST /api/tasks/export/) of the first ~1,000,000 and ~100,000 calls,
 *             each in a fresh `switchboard worker --type reports` process, so that its peak
 *             resident memory (VmHWM in /proc) is that export's; the file is downloaded and its
 *             rows counted against the database's count of the range. Reports workers run with
 *             the NODE_OPTIONS they are deployed with (switchboardProcess.ts).
 *   engine    the engine's throughput (engineLoad.ts: BENCH_JOBS no-op jobs through a worker in
 *             this process) alone, then again while a 1,000,000-row export runs, BENCH_ROUNDS
 *             times alternately; the ratio of the medians, and each pair's ratio with their
 *             median. Beside it, the share of the machine's CPU that the export (its worker
 *             process and database backend, when the server runs on this machine) used while the
 *             engine round ran: the part of the engine's loss that comes from the export itself.
 *
 * With `--reuse`, the database (`switchboard_bench_reports`) is kept at the end and a later run
 * with `--reuse` skips the generation when it holds the same calls; without, a fresh database is
 * generated and dropped.
 *
 * Env: BENCH_DATABASE_URL or DATABASE_URL (else an embedded server), BENCH_CALLS_PER_DAY,
 * BENCH_DAYS, BENCH_ROUNDS (3), BENCH_JOBS (20,000), BENCH_EXPORT_ROWS (1,000,000),
 * BENCH_SMALL_EXPORT_ROWS (100,000). Progress goes to stderr; stdout is the table and, as its
 * last line, one JSON object.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { refreshRollups } from "../src/analytics/refreshRollups.ts";
import { createApiToken } from "../src/api/auth/tokens.ts";
import { generateHistory } from "../src/callCenter/history/generateHistory.ts";
import { createDb, createPool, type Pool } from "../src/database/pool.ts";
import { createLogger } from "../src/observability/logger.ts";
import { processCpuSeconds } from "./cpu.ts";
import { openBenchDatabase, resetJobs } from "./database.ts";
import { engineRound, measure, sleep, type ThroughputResult } from "./engineLoad.ts";
import { formatTable, intFromEnv, median, type Row, round, runBench } from "./stats.ts";
import {
  peakRssBytes,
  type SwitchboardProcess,
  startApi,
  startWorkerProcess,
} from "./switchboardProcess.ts";

const DAYS = intFromEnv("BENCH_DAYS", 90);
const CALLS_PER_DAY = intFromEnv("BENCH_CALLS_PER_DAY", 111_112);
const AGENTS = 100;
const CALL_QUEUES = 10;
const ROUNDS = intFromEnv("BENCH_ROUNDS", 3);
const JOBS = intFromEnv("BENCH_JOBS", 20_000);
const EXPORT_ROWS = intFromEnv("BENCH_EXPORT_ROWS", 1_000_000);
const SMALL_EXPORT_ROWS = intFromEnv("BENCH_SMALL_EXPORT_ROWS", 100_000);
const REUSE = process.argv.includes("--reuse");
/** The history's last day; reports ask for a day and a month inside it. */
const END_DATE = "2026-11-29";
const TIME_ZONE = "UTC";
const DAILY_DATE = "2026-11-18";
const MONTH = { year: 2026, month: 10 };
const KEPT_DATABASE = "switchboard_bench_reports";
const POLL_MS = 50;
const TASK_TIMEOUT_MS = 600_000;
const MB = 1024 * 1024;

const logger = createLogger("silent");
const progress = (message: string) => process.stderr.write(`[bench:reports] ${message}\n`);

/** Generates the history unless the kept database already holds it. */
async function prepareHistory(pool: Pool): Promise<{ calls: number; callsPerSecond?: number }> {
  const expected = DAYS * CALLS_PER_DAY;
  const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from calls");
  const held = rows[0]?.n ?? 0;
  if (REUSE && held === expected) {
    progress(`reusing the ${held} calls generated before`);
    return { calls: held };
  }
  if (held > 0) {
    progress(`emptying ${held} calls generated with other settings`);
    await pool.query(
      "truncate calls, agent_state_events, agents, call_queues, campaigns restart identity cascade",
    );
  }
  progress(`generating ${expected} calls over ${DAYS} days`);
  const result = await generateHistory(
    {
      days: DAYS,
      callsPerDay: CALLS_PER_DAY,
      agents: AGENTS,
      callQueues: CALL_QUEUES,
      campaigns: 0,
      seed: 1,
      endDate: END_DATE,
      timeZone: TIME_ZONE,
    },
    {
      db: createDb(pool),
      pool,
      onProgress: (written, total, seconds) =>
        progress(`${written} of ${total} calls (${Math.round(written / seconds)} calls/s)`),
      onStep: progress,
    },
  );
  progress(`generated ${result.calls} calls in ${result.seconds} s: ${result.callsPerSecond}/s`);
  const vacuumStart = performance.now();
  await pool.query("vacuum analyze calls, agent_state_events");
  progress(`vacuum analyze: ${((performance.now() - vacuumStart) / 1000).toFixed(1)} s`);
  return { calls: result.calls, callsPerSecond: result.callsPerSecond };
}

/**
 * Computes the rollups over the whole history unless the kept database holds them already;
 * returns the seconds it took, or null when they were there.
 */
async function prepareRollups(pool: Pool): Promise<number | null> {
  const { rows } = await pool.query<{ n: number }>(
    "select count(*)::int as n from rollup_periods where time_zone = $1",
    [TIME_ZONE],
  );
  if (REUSE && (rows[0]?.n ?? 0) > 0) {
    progress("reusing the rollups computed before");
    return null;
  }
  const { rows: span } = await pool.query<{ from: Date; to: Date }>(
    `select min(coalesce(enqueued_at, created_at)) as from,
            max(coalesce(enqueued_at, created_at)) + interval '1 day' as to from calls`,
  );
  const range = span[0];
  if (!range?.from) return 0;
  progress(`computing the rollups from ${range.from.toISOString()} to ${range.to.toISOString()}`);
  const started = performance.now();
  await refreshRollups(createDb(pool), { range, timeZone: TIME_ZONE });
  const seconds = (performance.now() - started) / 1000;
  progress(`rollups: ${seconds.toFixed(1)} s`);
  return seconds;
}

/** The API's answer to a request for a report or an export. */
interface Requested {
  task_id: string | null;
  cache_key: string;
  status_url: string | null;
  download_url: string;
}

interface ExecutionStatus {
  status: string;
  started_at: string | null;
  finished_at: string | null;
  error: { class: string; message: string | null } | null;
}

interface TaskTiming {
  /** From the execution's started_at to its finished_at. */
  runSeconds: number;
  /** From the POST to the status poll that saw it done. */
  wallSeconds: number;
  requested: Requested;
}

class Client {
  readonly base: string;
  readonly #headers: Record<string, string>;

  constructor(base: string, token: string) {
    this.base = base;
    this.#headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  }

  async post(route: string, body: unknown): Promise<Requested> {
    const response = await fetch(this.base + route, {
      method: "POST",
      headers: this.#headers,
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 202) {
      throw new Error(`POST ${route} answered ${response.status}: ${text}`);
    }
    return JSON.parse(text) as Requested;
  }

  async status(requested: Requested): Promise<ExecutionStatus> {
    const url = requested.status_url ?? `/api/tasks/status/${requested.task_id}/`;
    const response = await fetch(this.base + url, { headers: this.#headers });
    if (response.status !== 200) {
      throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as ExecutionStatus;
  }

  /** Posts a task's request and polls its status until it is over; it must have succeeded. */
  async run(route: string, body: unknown, onRunning?: () => Promise<void>): Promise<TaskTiming> {
    const posted = performance.now();
    const requested = await this.post(route, body);
    let calledBack = false;
    for (const deadline = Date.now() + TASK_TIMEOUT_MS; Date.now() < deadline; ) {
      const status = await this.status(requested);
      if (status.status === "running" && onRunning && !calledBack) {
        calledBack = true;
        await onRunning();
        continue;
      }
      if (["succeeded", "dead", "cancelled", "expired"].includes(status.status)) {
        const wallSeconds = (performance.now() - posted) / 1000;
        if (status.status !== "succeeded" || !status.started_at || !status.finished_at) {
          throw new Error(`${route} ended ${status.status}: ${JSON.stringify(status.error)}`);
        }
        const runSeconds = (Date.parse(status.finished_at) - Date.parse(status.started_at)) / 1000;
        return { runSeconds, wallSeconds, requested };
      }
      await sleep(POLL_MS);
    }
    throw new Error(`${route} did not finish within ${TASK_TIMEOUT_MS / 1000} s`);
  }

  /** Downloads a file and counts its CSV records (quoted line breaks aside), header excluded. */
  async csvRows(route: string): Promise<number> {
    const response = await fetch(this.base + route, { headers: this.#headers });
    if (response.status !== 200 || !response.body) {
      throw new Error(`GET ${route} answered ${response.status}: ${await response.text()}`);
    }
    let lines = 0;
    let quoted = false;
    let last = 0x0a;
    for await (const chunk of response.body) {
      const bytes = chunk as Uint8Array;
      for (let index = 0; index < bytes.length; index++) {
        const byte = bytes[index] as number;
        if (byte === 0x22) quoted = !quoted;
        else if (byte === 0x0a && !quoted) lines++;
      }
      if (bytes.length > 0) last = bytes[bytes.length - 1] as number;
    }
    return lines + (last === 0x0a ? 0 : 1) - 1;
  }
}

/** The report-time range holding the first `rows` calls, with the exact count it holds. */
async function exportRange(pool: Pool, rows: number) {
  const { rows: found } = await pool.query<{ start: Date; last: Date; calls: number }>(
    `with edge as (
       select min(created_at) as start,
              (select created_at from calls order by created_at offset $1 - 1 limit 1) as last
       from calls)
     select start, last,
            (select count(*)::int from calls, edge e
             where coalesce(enqueued_at, created_at) between e.start and e.last) as calls
     from edge`,
    [rows],
  );
  const edge = found[0];
  if (!edge?.last) throw new Error(`the history holds fewer than ${rows} calls`);
  return {
    start_date: edge.start.toISOString(),
    end_date: edge.last.toISOString(),
    calls: edge.calls,
  };
}

interface ExportResult {
  rows: number;
  expected: number;
  runSeconds: number;
  wallSeconds: number;
  peakRssBytes: number;
  idleRssBytes: number;
}

/**
 * One export in a fresh worker process; `whileRunning` is called once the status says the
 * export runs, and the export is timed to the end regardless.
 */
async function runExport(
  client: Client,
  env: Record<string, string>,
  range: Awaited<ReturnType<typeof exportRange>>,
  whileRunning?: (workerPid: number) => Promise<void>,
): Promise<ExportResult> {
  const worker = await startWorkerProcess("reports", env);
  try {
    const pid = worker.child.pid as number;
    const idleRssBytes = peakRssBytes(pid);
    const timing = await client.run(
      "/api/tasks/export/",
      { format: "csv", start_date: range.start_date, end_date: range.end_date, refresh: true },
      whileRunning && (() => whileRunning(pid)),
    );
    const peak = peakRssBytes(pid);
    const rows = await client.csvRows(timing.requested.download_url);
    return {
      rows,
      expected: range.calls,
      runSeconds: timing.runSeconds,
      wallSeconds: timing.wallSeconds,
      peakRssBytes: peak,
      idleRssBytes,
    };
  } finally {
    await worker.stop();
  }
}

interface EnginePair {
  alone: ThroughputResult;
  during: ThroughputResult;
  /** The export was still running when the engine round ended. */
  overlapped: boolean;
  /**
   * CPU seconds the export used while the engine round ran: its worker process and its
   * database backend; null when they cannot be seen (a server on another machine).
   */
  exportCpu: { process: number; backend: number } | null;
}

/**
 * The backend of the export that has just started: the connection whose query is (or last was)
 * a chunk's COPY. Null when none shows within a few seconds.
 */
async function exportBackend(control: Pool): Promise<number | null> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(10)) {
    const { rows } = await control.query<{ pid: number }>(
      `select pid from pg_stat_activity
       where datname = current_database() and application_name = 'switchboard'
         and query ilike 'copy (select c.id%'`,
    );
    if (rows[0]) return rows[0].pid;
  }
  return null;
}

/**
 * The CPU seconds the export's worker process and database backend have used so far; null when
 * either cannot be seen.
 */
function exportCpuNow(workerPid: number, backendPid: number | null): EnginePair["exportCpu"] {
  const process = processCpuSeconds(workerPid);
  const backend = backendPid === null ? null : processCpuSeconds(backendPid);
  return process === null || backend === null ? null : { process, backend };
}

async function main() {
  const benchStart = performance.now();
  const database = await openBenchDatabase(logger, REUSE ? { keep: KEPT_DATABASE } : {});
  progress(`database on ${database.server}${REUSE ? ` (${KEPT_DATABASE}, kept)` : ""}`);
  const filesDir = await mkdtemp(path.join(tmpdir(), "switchboard-bench-files-"));
  const control = createPool(database.url, 3);
  const env = {
    DATABASE_URL: database.url,
    REPORT_TIMEZONE: TIME_ZONE,
    GENERATED_FILES_DIR: filesDir,
    API_RATE_LIMIT: "100000/m",
  };
  const processes: SwitchboardProcess[] = [];
  const daily: TaskTiming[] = [];
  const monthly: TaskTiming[] = [];
  const exports: { large: ExportResult[]; small: ExportResult[] } = { large: [], small: [] };
  const pairs: EnginePair[] = [];
  let history: Awaited<ReturnType<typeof prepareHistory>>;
  let rollupSeconds: number | null;
  try {
    history = await prepareHistory(control);
    rollupSeconds = await prepareRollups(control);
    await resetJobs(control);
    const { token } = await createApiToken(createDb(control), {
      name: `bench-reports-${Date.now()}`,
      scopes: ["operate"],
    });
    const api = await startApi(env);
    processes.push(api);
    const client = new Client(api.base, token);

    const reportsWorker = await startWorkerProcess("reports", env);
    processes.push(reportsWorker);
    const dailyBody = { report_type: "daily", date_str: DAILY_DATE, refresh: true };
    const monthlyBody = { report_type: "monthly", ...MONTH, refresh: true };
    progress("reports: warm-up");
    await client.run("/api/tasks/reports/generate/", dailyBody);
    await client.run("/api/tasks/reports/generate/", monthlyBody);
    for (let index = 1; index <= ROUNDS; index++) {
      daily.push(await client.run("/api/tasks/reports/generate/", dailyBody));
      monthly.push(await client.run("/api/tasks/reports/generate/", monthlyBody));
      progress(
        `reports round ${index}: daily ${daily.at(-1)?.runSeconds} s, monthly ${monthly.at(-1)?.runSeconds} s`,
      );
    }
    await reportsWorker.stop();

    const large = await exportRange(control, EXPORT_ROWS);
    const small = await exportRange(control, SMALL_EXPORT_ROWS);
    for (let index = 1; index <= ROUNDS; index++) {
      for (const [name, range, list] of [
        ["large", large, exports.large],
        ["small", small, exports.small],
      ] as const) {
        const result = await runExport(client, env, range);
        list.push(result);
        progress(
          `export ${name} #${index}: ${result.rows} rows in ${result.runSeconds} s, peak RSS ${round(result.peakRssBytes / MB)} MB`,
        );
      }
    }

    progress(`engine: warm-up`);
    await measure("warm-up engine", () => engineRound(control, database.url, 2_000));
    for (let index = 1; index <= ROUNDS; index++) {
      const alone = await measure(`engine alone #${index}`, () =>
        engineRound(control, database.url, JOBS),
      );
      await resetJobs(control);
      let during: ThroughputResult | undefined;
      let overlapped = false;
      let exportCpu = null as EnginePair["exportCpu"];
      await runExport(client, env, large, async (workerPid) => {
        const backendPid = await exportBackend(control);
        let before = null as EnginePair["exportCpu"];
        during = await engineRound(control, database.url, JOBS, {
          reset: false,
          onRunStart: () => {
            before = exportCpuNow(workerPid, backendPid);
          },
        });
        const after = exportCpuNow(workerPid, backendPid);
        if (before && after) {
          exportCpu = {
            process: after.process - before.process,
            backend: after.backend - before.backend,
          };
        }
        const { rows } = await control.query<{ status: string }>(
          "select status from executions where task_name = 'export_call_data' order by id desc limit 1",
        );
        overlapped = rows[0]?.status === "running";
      });
      if (!during) throw new Error("the export ended before the engine round could start");
      pairs.push({ alone, during, overlapped, exportCpu });
      progress(
        `engine #${index}: alone ${Math.round(alone.perSecond)} jobs/s, during the export ${Math.round(during.perSecond)} jobs/s${exportCpu === null ? "" : ` (the export used ${round(exportCpu.process + exportCpu.backend, 2)} CPU s of the round's ${round(during.runSeconds, 2)} s: worker ${round(exportCpu.process, 2)}, database ${round(exportCpu.backend, 2)})`}${overlapped ? "" : " (the export ended first)"}`,
      );
    }
  } finally {
    for (const child of processes) await child.stop();
    await control.end();
    await database.close();
    await rm(filesDir, { recursive: true, force: true });
  }

  const medianOf = (values: number[], digits = 3) => round(median(values), digits);
  const runs = (timings: TaskTiming[]) => timings.map((t) => t.runSeconds);
  const walls = (timings: TaskTiming[]) => timings.map((t) => t.wallSeconds);
  const exportFigures = (list: ExportResult[]) => ({
    rows: medianOf(
      list.map((e) => e.rows),
      0,
    ),
    rowsPerSecond: medianOf(
      list.map((e) => e.rows / e.runSeconds),
      0,
    ),
    peakMb: medianOf(
      list.map((e) => e.peakRssBytes / MB),
      1,
    ),
    idleMb: medianOf(
      list.map((e) => e.idleRssBytes / MB),
      1,
    ),
    seconds: medianOf(list.map((e) => e.runSeconds)),
    wall: medianOf(list.map((e) => e.wallSeconds)),
    mismatches: list.filter((e) => e.rows !== e.expected).length,
  });
  const large = exportFigures(exports.large);
  const small = exportFigures(exports.small);
  const alone = medianOf(
    pairs.map((p) => p.alone.perSecond),
    0,
  );
  const during = medianOf(
    pairs.map((p) => p.during.perSecond),
    0,
  );

  // Each pair runs back to back, so a slow spell of the machine tends to hit both of its
  // rounds: the median of the pairs' ratios is less noisy than the ratio of the medians.
  const pairRatios = pairs.map((p) => round(p.during.perSecond / p.alone.perSecond, 3));
  // The export's share of the machine while the engine round ran: what it took from the engine,
  // measured without the noise of a throughput.
  const exportShares = pairs.flatMap(({ exportCpu, during }) =>
    exportCpu
      ? [(exportCpu.process + exportCpu.backend) / (during.runSeconds * availableParallelism())]
      : [],
  );

  const result = {
    calls: history.calls,
    generate_calls_per_s: history.callsPerSecond ?? null,
    daily_report_s: medianOf(runs(daily)),
    daily_report_wall_s: medianOf(walls(daily)),
    monthly_report_s: medianOf(runs(monthly)),
    monthly_report_wall_s: medianOf(walls(monthly)),
    export_rows: large.rows,
    export_rows_per_s: large.rowsPerSecond,
    export_peak_rss_mb: large.peakMb,
    small_export_rows: small.rows,
    small_export_rows_per_s: small.rowsPerSecond,
    small_export_peak_rss_mb: small.peakMb,
    export_rss_difference_mb: round(large.peakMb - small.peakMb, 1),
    export_rows_mismatched: large.mismatches + small.mismatches,
    engine_jobs_per_s: alone,
    engine_during_export_jobs_per_s: during,
    engine_ratio: round(during / alone, 3),
    engine_pair_ratios: pairRatios,
    engine_pair_ratio_median: medianOf(pairRatios),
    export_cpu_share_during_engine: exportShares.length > 0 ? medianOf(exportShares) : null,
  };

  const rows: Row[] = [];
  if (history.callsPerSecond) {
    rows.push({
      phase: "generate",
      jobs: history.calls,
      seconds: history.calls / history.callsPerSecond,
      perSecond: history.callsPerSecond,
      settings: `${DAYS} days × ${CALLS_PER_DAY} calls, ${AGENTS} agents, ${CALL_QUEUES} call queues`,
    });
  }
  if (rollupSeconds !== null) {
    rows.push({
      phase: "rollups",
      jobs: "-",
      seconds: rollupSeconds,
      perSecond: "-",
      settings: "per call queue × hour and agent × day over the whole history (refreshRollups)",
    });
  }
  const reportRow = (name: string, timings: TaskTiming[], target: number): Row => ({
    phase: `${name} report`,
    jobs: "-",
    seconds: median(runs(timings)),
    perSecond: "-",
    settings: `median of ${timings.length} runs (target ≤ ${target} s); wall clock ${medianOf(walls(timings))} s; runs ${runs(timings).join(", ")} s`,
  });
  rows.push(
    reportRow(`daily ${DAILY_DATE}`, daily, 1),
    reportRow(`monthly ${MONTH.year}-${MONTH.month}`, monthly, 3),
  );
  const exportRow = (name: string, figures: ReturnType<typeof exportFigures>): Row => ({
    phase: `export ${name}`,
    jobs: figures.rows,
    seconds: figures.seconds,
    perSecond: figures.rowsPerSecond,
    settings: `CSV, medians of ${exports.large.length}; peak RSS ${figures.peakMb} MB (idle worker ${figures.idleMb} MB); wall clock ${figures.wall} s${figures.mismatches ? `; ${figures.mismatches} files did not hold their range's calls` : ""}`,
  });
  rows.push(exportRow("~1M rows", large), exportRow("~100k rows", small));
  rows.push(
    {
      phase: "engine alone",
      jobs: JOBS,
      seconds: JOBS / alone,
      perSecond: alone,
      settings: `median of ${pairs.length}; no-op jobs, in-process worker`,
    },
    {
      phase: "engine during export",
      jobs: JOBS,
      seconds: JOBS / during,
      perSecond: during,
      settings: `median of ${pairs.length}; ratio ${result.engine_ratio} (target ≥ 0.9); pairs ${pairRatios.join(", ")}, their median ${result.engine_pair_ratio_median}${result.export_cpu_share_during_engine === null ? "" : `; the export used ${round(result.export_cpu_share_during_engine * 100, 1)}% of the CPU meanwhile`}${pairs.some((p) => !p.overlapped) ? `; ${pairs.filter((p) => !p.overlapped).length} exports ended before their engine round` : ""}`,
    },
  );
  process.stdout.write(
    `\nSwitchboard reports and exports benchmark — database on ${database.server}, ` +
      `${round((performance.now() - benchStart) / 1000, 1)} s in all\n\n` +
      `${formatTable(rows, { jobs: "rows", perSecond: "rows/s" })}\n\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

runBench(main);
