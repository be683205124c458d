/**
 * The engine's load for benchmarks: a no-op task on the `realtime` lane, rounds that enqueue N
 * of its jobs and time a Switchboard worker running them all, with the graphile-worker tuning
 * `npm run bench` chose (see engine.ts). `npm run bench` compares these rounds with raw
 * graphile-worker; `npm run bench:reports` runs them beside an export.
 *
 * Env: BENCH_CONCURRENCY (48), BENCH_LOCAL_QUEUE (1000).
 */
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import { Logger as GraphileLogger, type WorkerEvents } from "graphile-worker";
import { z } from "zod";
import { createDb, createPool, type Pool } from "../src/database/pool.ts";
import { enqueueMany } from "../src/engine/enqueue.ts";
import { TaskRegistry } from "../src/engine/registry.ts";
import { defineTask } from "../src/engine/task.ts";
import { startWorker } from "../src/engine/worker.ts";
import { createLogger } from "../src/observability/logger.ts";
import { type CpuPerJob, startCpuCount } from "./cpu.ts";
import { analyzeQueuedJobs, pendingJobs, resetJobs, succeededExecutions } from "./database.ts";
import { countFetchWaits } from "./fetchWait.ts";
import { intFromEnv } from "./stats.ts";

export const CONCURRENCY = intFromEnv("BENCH_CONCURRENCY", 48);
export const LOCAL_QUEUE = intFromEnv("BENCH_LOCAL_QUEUE", 1000);
export const BATCH = 1_000;

export const TASK = "bench_noop";

/** The graphile-worker tuning shared by both throughput phases. */
export const preset: GraphileConfig.WorkerOptions = {
  localQueue: { size: LOCAL_QUEUE },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
};
export const settings = `concurrency ${CONCURRENCY}, localQueue ${LOCAL_QUEUE}, completeJobBatchDelay 0, failJobBatchDelay 0`;

export const logger = createLogger("silent");
export const graphileLogger = new GraphileLogger(() => () => {});

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const seconds = (since: number) => (performance.now() - since) / 1000;

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/**
 * A round whose jobs all ran but did not all leave graphile-worker's table: it cannot be
 * timed, so it is run again. Seen (rarely) with raw graphile-worker and its local queue on
 * this machine: a job stays locked after every task call returned.
 */
export class StuckRound extends Error {}

/** Once every task has run, how long the tables may take to settle before the round is stuck. */
export const SETTLE_MS = 30_000;

export async function settle(control: Pool, done: () => Promise<boolean>): Promise<void> {
  try {
    await waitUntil(done, SETTLE_MS);
  } catch {
    const { rows } = await control.query<{ left: number; locked: number; last_error: string }>(
      `select count(*)::int as left, count(locked_by)::int as locked, max(last_error) as last_error
       from graphile_worker._private_jobs`,
    );
    const left = rows[0];
    throw new StuckRound(
      `${left?.left} jobs still in the table ${SETTLE_MS / 1000} s after every task ran (${left?.locked} locked${left?.last_error ? `, last error: ${left.last_error}` : ""})`,
    );
  }
}

/** Runs a throughput round, again (at most twice more) when it gets stuck. */
export async function measure(
  name: string,
  round: () => Promise<ThroughputResult>,
): Promise<ThroughputResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await round();
    } catch (error) {
      if (!(error instanceof StuckRound) || attempt === 3) throw error;
      progress(`${name}: ${error.message}; running it again`);
    }
  }
}

/** Counts task runs in this process; resolves `reached` when the count gets to `target`. */
export class RunCounter {
  count = 0;
  #target = Number.POSITIVE_INFINITY;
  #resolve: () => void = () => {};

  expect(target: number): Promise<void> {
    this.count = 0;
    this.#target = target;
    return new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  hit(): void {
    if (++this.count === this.#target) this.#resolve();
  }
}

export const counter = new RunCounter();
let onStart: (enqueuedAt: number) => void = () => {};

/** Tells the latency probe that a job enqueued at `enqueuedAt` started. */
export function reportStart(enqueuedAt: number): void {
  onStart(enqueuedAt);
}

/** What each run of the no-op task calls with its payload's enqueue time (for latency). */
export function setOnStart(callback: (enqueuedAt: number) => void): void {
  onStart = callback;
}

export const noop = defineTask({
  name: TASK,
  lane: "realtime",
  payload: z.object({ t: z.number() }),
  maxAttempts: 1,
  run: async ({ t }) => {
    onStart(t);
    counter.hit();
  },
});
export const registry = new TaskRegistry([noop]);

/** Generous: a run far slower than this is a broken run, not a slow one. */
export const timeoutFor = (jobs: number) => 60_000 + jobs * 5;

export interface ThroughputResult {
  enqueuePerSecond: number;
  runSeconds: number;
  perSecond: number;
  cpu: CpuPerJob;
  /** Milliseconds per 1,000 jobs that the workers waited for a job fetch (see `fetchWait.ts`). */
  fetchWaitMs: number;
}

export interface EngineRoundOptions {
  /**
   * Empty the job tables first (default). Without, jobs of other tasks may be in the tables
   * (an export running alongside): the round counts and waits for its own task's only.
   */
  reset?: boolean;
  /** Called when the timed part starts: the jobs are queued and the worker is about to start. */
  onRunStart?: () => void;
}

/**
 * One timed engine round: N no-op jobs enqueued with `enqueueMany` (timed as enqueue
 * throughput), then the time for `startWorker` to run them all until every one's execution is
 * `succeeded` and none is left in graphile-worker's table.
 */
export async function engineRound(
  control: Pool,
  url: string,
  jobs: number,
  options: EngineRoundOptions = {},
): Promise<ThroughputResult> {
  if (options.reset ?? true) await resetJobs(control);
  const db = createDb(control);
  const enqueueStart = performance.now();
  for (let offset = 0; offset < jobs; offset += BATCH) {
    const size = Math.min(BATCH, jobs - offset);
    const t = Date.now();
    await enqueueMany(
      db,
      Array.from({ length: size }, () => ({ task: noop, payload: { t } })),
    );
  }
  const enqueueSeconds = seconds(enqueueStart);
  await analyzeQueuedJobs(control);

  const pool = createPool(url, CONCURRENCY + 2);
  const done = counter.expect(jobs);
  options.onRunStart?.();
  const start = performance.now();
  const cpuSince = startCpuCount();
  const events: WorkerEvents = new EventEmitter();
  const fetchWaitSince = countFetchWaits(events);
  const worker = await startWorker({
    pool,
    registry,
    type: "all",
    logger,
    lanes: { realtime: { concurrency: CONCURRENCY } },
    preset,
    shutdownGraceMs: 1_000,
    events,
  });
  try {
    await Promise.race([done, sleep(timeoutFor(jobs)).then(() => Promise.reject(stalled()))]);
    const fetchWaitMs = (fetchWaitSince() * 1_000) / jobs;
    await settle(
      control,
      async () =>
        (await succeededExecutions(control, TASK)) === jobs &&
        (await pendingJobs(control, TASK)) === 0,
    );
    const runSeconds = seconds(start);
    return {
      enqueuePerSecond: jobs / enqueueSeconds,
      runSeconds,
      perSecond: jobs / runSeconds,
      cpu: cpuSince(jobs),
      fetchWaitMs,
    };
  } finally {
    await worker.stop();
    await pool.end();
  }
}

export function stalled(): Error {
  return new Error(`bench: only ${counter.count} jobs ran before the timeout`);
}
