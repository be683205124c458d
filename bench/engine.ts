/**
 * `npm run bench`: how much throughput the Switchboard engine (typed enqueue + ledger + its worker
 * wrapper) keeps compared with raw graphile-worker, on the same database in the same run.
 *
 *   baseline   N no-op jobs added with graphile-worker's `addJobs` (batches of 1,000), then the
 *              time for `run()` to execute and complete all of them (jobs table empty).
 *   engine     N no-op jobs enqueued with `enqueueMany` (batches of 1,000; timed separately as
 *              enqueue throughput), then the time for `startWorker` to run them all until every
 *              execution in the ledger is `succeeded` and the jobs table is empty.
 *   latency    an idle Switchboard worker; 200 single `enqueue` calls ~20 ms apart; the task
 *              records (start time - time before the enqueue call). p50 / p99.
 *
 * Both throughput phases use the same graphile-worker tuning and concurrency, chosen as raw
 * graphile-worker's fastest on this 2-core machine (50,000 jobs, 3 rounds, local PostgreSQL 15,
 * tables analyzed before each run; baseline jobs/s): concurrency 24 + localQueue 500 → 23–26k;
 * 48 + 500 → 24–26k; 24 + 1000 → 27–34k; 48 + 1000 → 41k; 96 + 1000 → 39k; 24 + 2000 → 37k;
 * 48 + 2000 → 36k. Kept: concurrency 48, localQueue 1000, completeJobBatchDelay 0,
 * failJobBatchDelay 0. (The engine ran 20–30k jobs/s in every one of these.)
 * Both sides run over pools made by `createPool`, with Switchboard's type parsers: the hand
 * timestamptz parser speeds up graphile-worker's job fetch (four timestamps a job) for both.
 * Before each timed run, both sides analyze the tables it works on (see `analyzeQueuedJobs`).
 * Rounds alternate baseline/engine after one small unreported warm-up of each; medians reported.
 * Each timed run also reports its CPU per job, PostgreSQL's and this process's (see `cpu.ts`), and
 * how long its workers sat idle waiting for graphile-worker to fetch jobs (see `fetchWait.ts`):
 * with no-op jobs, the fetch of each batch of 1,000 takes most of the run on both sides, so the
 * engine's ledger work slows it by competing for the machine's two cores while it runs.
 *
 * Env: BENCH_DATABASE_URL or DATABASE_URL (else an embedded server), BENCH_JOBS (default 50000),
 * BENCH_ROUNDS (default 5: the machine is shared and single rounds vary by ±15%),
 * BENCH_CONCURRENCY (48), BENCH_LOCAL_QUEUE (1000).
 * Progress goes to stderr; stdout is the table and, as its last line, one JSON object.
 */
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import { makeWorkerUtils, run, type WorkerEvents } from "graphile-worker";
import { createDb, createPool, type Pool } from "../src/database/pool.ts";
import { enqueue } from "../src/engine/enqueue.ts";
import { startWorker } from "../src/engine/worker.ts";
import { type CpuPerJob, describeCpu, startCpuCount } from "./cpu.ts";
import {
  analyzeQueuedJobs,
  type BenchDatabase,
  openBenchDatabase,
  pendingJobs,
  resetJobs,
} from "./database.ts";
import {
  BATCH,
  CONCURRENCY,
  counter,
  engineRound,
  graphileLogger,
  logger,
  measure,
  noop,
  preset,
  registry,
  reportStart,
  seconds,
  setOnStart,
  settings,
  settle,
  sleep,
  stalled,
  TASK,
  type ThroughputResult,
  timeoutFor,
} from "./engineLoad.ts";
import { countFetchWaits } from "./fetchWait.ts";
import { formatTable, intFromEnv, median, percentile, type Row, round, runBench } from "./stats.ts";

const JOBS = intFromEnv("BENCH_JOBS", 50_000);
const ROUNDS = intFromEnv("BENCH_ROUNDS", 5);
const WARMUP_JOBS = Math.min(JOBS, 2_000);
const LATENCY_JOBS = 200;
const LATENCY_GAP_MS = 20;

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function baselineRound(control: Pool, url: string, jobs: number): Promise<ThroughputResult> {
  await resetJobs(control);
  const utils = await makeWorkerUtils({ pgPool: control, logger: graphileLogger });
  const enqueueStart = performance.now();
  for (let offset = 0; offset < jobs; offset += BATCH) {
    const size = Math.min(BATCH, jobs - offset);
    const t = Date.now();
    await utils.addJobs(Array.from({ length: size }, () => ({ identifier: TASK, payload: { t } })));
  }
  const enqueueSeconds = seconds(enqueueStart);
  await utils.release();
  await analyzeQueuedJobs(control);

  const pool = createPool(url, CONCURRENCY + 2);
  const done = counter.expect(jobs);
  const start = performance.now();
  const cpuSince = startCpuCount();
  const events: WorkerEvents = new EventEmitter();
  const fetchWaitSince = countFetchWaits(events);
  const runner = await run({
    pgPool: pool,
    taskList: { [TASK]: async () => counter.hit() },
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    // The baseline schedules nothing (graphile-worker would read ./crontab otherwise).
    parsedCronItems: [],
    events,
    logger: graphileLogger,
    preset: { worker: preset },
  });
  try {
    await Promise.race([done, sleep(timeoutFor(jobs)).then(() => Promise.reject(stalled()))]);
    const fetchWaitMs = (fetchWaitSince() * 1_000) / jobs;
    await settle(control, async () => (await pendingJobs(control)) === 0);
    const runSeconds = seconds(start);
    return {
      enqueuePerSecond: jobs / enqueueSeconds,
      runSeconds,
      perSecond: jobs / runSeconds,
      cpu: cpuSince(jobs),
      fetchWaitMs,
    };
  } finally {
    await runner.stop();
    await pool.end();
  }
}

function medianCpu(results: ThroughputResult[]): CpuPerJob {
  const postgres = results.flatMap((r) => (r.cpu.postgresUs === null ? [] : [r.cpu.postgresUs]));
  return {
    postgresUs: postgres.length > 0 ? median(postgres) : null,
    benchUs: median(results.map((r) => r.cpu.benchUs)),
    childUs: null,
  };
}

/** CPU per job, and the job fetch wait per 1,000 jobs with its share of the run's time. */
function describeRun(result: Pick<ThroughputResult, "cpu" | "fetchWaitMs" | "perSecond">): string {
  const share = Math.round((result.fetchWaitMs * result.perSecond) / 10_000);
  return `${describeCpu(result.cpu)}; job fetch wait ${Math.round(result.fetchWaitMs)} ms per 1,000 jobs (${share}% of the run)`;
}

function describeMedians(results: ThroughputResult[]): string {
  return describeRun({
    cpu: medianCpu(results),
    fetchWaitMs: median(results.map((r) => r.fetchWaitMs)),
    perSecond: median(results.map((r) => r.perSecond)),
  });
}

/** Start latency of single jobs enqueued one at a time into an idle worker. */
async function latencyRound(
  control: Pool,
  url: string,
  kind: "engine" | "baseline",
): Promise<number[]> {
  await resetJobs(control);
  const samples: number[] = [];
  setOnStart((enqueuedAt) => samples.push(Date.now() - enqueuedAt));
  const pool = createPool(url, CONCURRENCY + 2);
  const db = createDb(control);
  const utils = await makeWorkerUtils({ pgPool: control, logger: graphileLogger });
  const stop =
    kind === "engine"
      ? (
          await startWorker({
            pool,
            registry,
            type: "all",
            logger,
            lanes: { realtime: { concurrency: CONCURRENCY } },
            preset,
            shutdownGraceMs: 1_000,
          })
        ).stop
      : (
          await run({
            pgPool: pool,
            taskList: {
              [TASK]: async (payload) => {
                reportStart((payload as { t: number }).t);
                counter.hit();
              },
            },
            concurrency: CONCURRENCY,
            noHandleSignals: true,
            parsedCronItems: [],
            logger: graphileLogger,
            preset: { worker: preset },
          })
        ).stop;
  try {
    const done = counter.expect(LATENCY_JOBS);
    await sleep(500); // let the worker settle into idle
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const t = Date.now();
      if (kind === "engine") await enqueue(db, noop, { t });
      else await utils.addJob(TASK, { t });
      await sleep(LATENCY_GAP_MS);
    }
    await Promise.race([done, sleep(30_000).then(() => Promise.reject(stalled()))]);
    return samples;
  } finally {
    setOnStart(() => {});
    await stop();
    await utils.release();
    await pool.end();
  }
}

async function main() {
  const benchStart = performance.now();
  progress(`jobs ${JOBS}, rounds ${ROUNDS}, ${settings}`);
  const database: BenchDatabase = await openBenchDatabase(logger);
  progress(`database on ${database.server}`);
  const control = createPool(database.url, 3);
  const baseline: ThroughputResult[] = [];
  const engine: ThroughputResult[] = [];
  let engineLatency: number[] = [];
  let baselineLatency: number[] = [];
  try {
    progress(`warm-up (${WARMUP_JOBS} jobs each)`);
    await measure("warm-up baseline", () => baselineRound(control, database.url, WARMUP_JOBS));
    await measure("warm-up engine", () => engineRound(control, database.url, WARMUP_JOBS));
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await measure(`round ${round} baseline`, () =>
        baselineRound(control, database.url, JOBS),
      );
      baseline.push(b);
      progress(`round ${round} baseline: ${Math.round(b.perSecond)} jobs/s; ${describeRun(b)}`);
      const e = await measure(`round ${round} engine`, () =>
        engineRound(control, database.url, JOBS),
      );
      engine.push(e);
      progress(
        `round ${round} engine: ${Math.round(e.perSecond)} jobs/s (${(e.perSecond / b.perSecond).toFixed(3)} of this round's baseline), enqueue ${Math.round(e.enqueuePerSecond)}/s; ${describeRun(e)}`,
      );
    }
    progress("latency at low load");
    engineLatency = await latencyRound(control, database.url, "engine");
    baselineLatency = await latencyRound(control, database.url, "baseline");
  } finally {
    await control.end();
    await database.close();
  }

  const rows: Row[] = [];
  baseline.forEach((b, i) => {
    rows.push({
      phase: `baseline add_jobs #${i + 1}`,
      jobs: JOBS,
      seconds: JOBS / b.enqueuePerSecond,
      perSecond: b.enqueuePerSecond,
      settings: `graphile-worker addJobs, batches of ${BATCH}`,
    });
    rows.push({
      phase: `baseline run #${i + 1}`,
      jobs: JOBS,
      seconds: b.runSeconds,
      perSecond: b.perSecond,
      settings,
    });
  });
  engine.forEach((e, i) => {
    rows.push({
      phase: `engine enqueueMany #${i + 1}`,
      jobs: JOBS,
      seconds: JOBS / e.enqueuePerSecond,
      perSecond: e.enqueuePerSecond,
      settings: `enqueueMany, batches of ${BATCH}`,
    });
    rows.push({
      phase: `engine run #${i + 1}`,
      jobs: JOBS,
      seconds: e.runSeconds,
      perSecond: e.perSecond,
      settings: `${settings}, lane realtime, ledger on`,
    });
  });
  const result = {
    engine_jobs_per_s: round(median(engine.map((e) => e.perSecond))),
    baseline_jobs_per_s: round(median(baseline.map((b) => b.perSecond))),
    ratio: 0,
    enqueue_per_s: round(median(engine.map((e) => e.enqueuePerSecond))),
    latency_p50_ms: round(percentile(engineLatency, 50), 1),
    latency_p99_ms: round(percentile(engineLatency, 99), 1),
  };
  result.ratio = round(result.engine_jobs_per_s / result.baseline_jobs_per_s, 3);
  // How far a single round's ratio strays from the medians' on this machine.
  const ratios = engine.map((e, i) => e.perSecond / (baseline[i]?.perSecond ?? Number.NaN));
  const roundRatios = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  const latencyRow = (phase: string, samples: number[]): Row => ({
    phase,
    jobs: samples.length,
    seconds: "-",
    perSecond: "-",
    settings: `p50 ${percentile(samples, 50)} ms, p99 ${percentile(samples, 99)} ms, max ${Math.max(...samples)} ms; one at a time, ${LATENCY_GAP_MS} ms apart`,
  });
  rows.push(
    {
      phase: "median baseline run",
      jobs: JOBS,
      seconds: JOBS / result.baseline_jobs_per_s,
      perSecond: result.baseline_jobs_per_s,
      settings: `median of ${baseline.length}; ${describeMedians(baseline)}`,
    },
    {
      phase: "median engine run",
      jobs: JOBS,
      seconds: JOBS / result.engine_jobs_per_s,
      perSecond: result.engine_jobs_per_s,
      settings: `median of ${engine.length}; ratio engine/baseline ${result.ratio} (single rounds ${roundRatios}); ${describeMedians(engine)}`,
    },
    latencyRow("engine latency", engineLatency),
    latencyRow("baseline latency", baselineLatency),
  );

  process.stdout.write(
    `\nSwitchboard engine benchmark — database on ${database.server}, ` +
      `${round(seconds(benchStart), 1)} s in all\n\n${formatTable(rows)}\n\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

runBench(main);
