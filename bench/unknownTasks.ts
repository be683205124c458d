/**
 * `npm run bench:unknown-tasks`: how much the jobs of a task no worker knows slow their lane's
 * job fetch, and what parking them (src/engine/fleet/unknownTasks.ts) gives back.
 *
 *   none           BENCH_JOBS no-op jobs in the `realtime` lane, and the time for a worker that
 *                  knows only the no-op task to run them all: the reference.
 *   in the fetch   the same behind BENCH_UNKNOWN_JOBS jobs of `removed_task` in the same lane,
 *                  enqueued first, so graphile-worker's fetch order (priority, then run_at) puts
 *                  them ahead of the no-op jobs.
 *   parked         the same, after a sweep parked the unknown jobs.
 *
 * The worker runs with its defaults (lane concurrency, no local queue); its heartbeat does not
 * come during a run, so no sweep changes the queue under it. Before each run the jobs table is
 * vacuumed and analyzed, as autovacuum leaves it after the many updates of a park or an unpark
 * (until then the fetch index still points at the parked jobs' old row versions). Each phase
 * also explains graphile-worker's fetch for the no-op task once: how many jobs it read and threw
 * away, and its time. The reference rounds run first; then rounds alternate the other two
 * phases; figures are medians.
 *
 * Env: BENCH_DATABASE_URL or DATABASE_URL (else an embedded server), BENCH_UNKNOWN_JOBS (default
 * 50000), BENCH_JOBS (1000), BENCH_ROUNDS (3).
 * Progress goes to stderr; stdout is the table and, as its last line, one JSON object.
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { createDb, createPool, type Pool } from "../src/database/pool.ts";
import { enqueueMany } from "../src/engine/enqueue.ts";
import { PARKED_BY, parkJobs } from "../src/engine/fleet/unknownTasks.ts";
import { TaskRegistry } from "../src/engine/registry.ts";
import { defineTask } from "../src/engine/task.ts";
import type { AnyTask } from "../src/engine/types.ts";
import { startWorker } from "../src/engine/worker.ts";
import { createLogger } from "../src/observability/logger.ts";
import { openBenchDatabase } from "./database.ts";
import { formatTable, intFromEnv, median, type Row, round } from "./stats.ts";

const UNKNOWN_JOBS = intFromEnv("BENCH_UNKNOWN_JOBS", 50_000);
const JOBS = intFromEnv("BENCH_JOBS", 1_000);
const ROUNDS = intFromEnv("BENCH_ROUNDS", 3);
const BATCH = 1_000;

const logger = createLogger("silent");
const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

let runs = 0;
let allRan: () => void = () => {};
const noop = defineTask({
  name: "bench_noop",
  lane: "realtime",
  payload: z.object({ n: z.number() }),
  maxAttempts: 1,
  run: async () => {
    if (++runs === JOBS) allRan();
  },
});
/** Enqueued by code that knew it; no worker here knows it. */
const removed = defineTask({
  name: "removed_task",
  lane: "realtime",
  payload: z.object({ n: z.number() }),
  run: async () => {},
});

async function enqueueJobs(pool: Pool, task: AnyTask, count: number): Promise<void> {
  const db = createDb(pool);
  for (let offset = 0; offset < count; offset += BATCH) {
    const size = Math.min(BATCH, count - offset);
    await enqueueMany(
      db,
      Array.from({ length: size }, (_, n) => ({ task, payload: { n: offset + n } })),
    );
  }
}

/** Parks every unknown job, as a live worker's sweep does, then forgets the fleet it needed. */
async function parkAll(pool: Pool): Promise<void> {
  const db = createDb(pool);
  await db
    .insertInto("workers")
    .values({ id: "bench-fleet", type: "all", lanes: [], tasks: [noop.name], host: "h", pid: 1 })
    .execute();
  while ((await parkJobs(db, 60_000, 10_000)) > 0) {}
  await db.deleteFrom("workers").where("id", "=", "bench-fleet").execute();
}

async function unparkAll(pool: Pool): Promise<void> {
  await pool.query(
    "update graphile_worker._private_jobs set locked_at = null, locked_by = null where locked_by = $1",
    [PARKED_BY],
  );
}

interface FetchPlan {
  dropped: number;
  ms: number;
}

/** graphile-worker's fetch for the no-op task, explained: the jobs it threw away, its time. */
async function explainFetch(pool: Pool): Promise<FetchPlan> {
  const { rows } = await pool.query<{
    "QUERY PLAN": [{ Plan: PlanNode; "Execution Time": number }];
  }>(
    `explain (analyze, format json)
     select jobs.id from graphile_worker._private_jobs as jobs
     where jobs.is_available = true and run_at <= now()
       and task_id = any(array(select id from graphile_worker._private_tasks where identifier = $1))
       and (jobs.job_queue_id is null or jobs.job_queue_id in (
         select id from graphile_worker._private_job_queues as job_queues
         where job_queues.is_available = true for update skip locked))
     order by priority asc, run_at asc
     limit 1`,
    [noop.name],
  );
  const explained = rows[0]?.["QUERY PLAN"][0];
  let dropped = 0;
  const walk = (node: PlanNode) => {
    if (node["Relation Name"] === "_private_jobs") dropped += node["Rows Removed by Filter"] ?? 0;
    for (const child of node.Plans ?? []) walk(child);
  };
  if (explained) walk(explained.Plan);
  return { dropped, ms: explained?.["Execution Time"] ?? Number.NaN };
}

interface PlanNode {
  "Relation Name"?: string;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

interface RoundResult {
  seconds: number;
  fetch: FetchPlan;
}

async function runRound(url: string, control: Pool): Promise<RoundResult> {
  await enqueueJobs(control, noop, JOBS);
  await control.query("vacuum analyze graphile_worker._private_jobs");
  const fetch = await explainFetch(control);
  runs = 0;
  const done = new Promise<void>((resolve) => {
    allRan = resolve;
  });
  const pool = createPool(url, 12);
  const start = performance.now();
  const worker = await startWorker({
    pool,
    registry: new TaskRegistry([noop]),
    type: "realtime",
    logger,
    heartbeatIntervalMs: 3_600_000,
  });
  await done;
  const seconds = (performance.now() - start) / 1000;
  await worker.stop();
  await pool.end();
  return { seconds, fetch };
}

const bench = await openBenchDatabase(logger);
const control = createPool(bench.url, 4);
try {
  const none: RoundResult[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    none.push(await runRound(bench.url, control));
    progress(`round ${r}: no unknown jobs ${round(none.at(-1)?.seconds ?? 0, 2)} s`);
  }
  progress(`enqueueing ${UNKNOWN_JOBS} jobs of a task no worker knows`);
  await enqueueJobs(control, removed, UNKNOWN_JOBS);
  const held: RoundResult[] = [];
  const parked: RoundResult[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    await unparkAll(control);
    held.push(await runRound(bench.url, control));
    progress(`round ${r}: in the fetch ${round(held.at(-1)?.seconds ?? 0, 2)} s`);
    await parkAll(control);
    parked.push(await runRound(bench.url, control));
    progress(`round ${r}: parked ${round(parked.at(-1)?.seconds ?? 0, 2)} s`);
  }
  const summary = (results: RoundResult[]) => ({
    seconds: median(results.map((result) => result.seconds)),
    dropped: median(results.map((result) => result.fetch.dropped)),
    fetchMs: median(results.map((result) => result.fetch.ms)),
  });
  const reference = summary(none);
  const before = summary(held);
  const after = summary(parked);
  const row = (phase: string, { seconds, dropped, fetchMs }: typeof before): Row => ({
    phase,
    jobs: JOBS,
    seconds,
    perSecond: JOBS / seconds,
    settings: `one fetch drops ${dropped} jobs in ${round(fetchMs, 2)} ms; server ${bench.server}`,
  });
  const rows = [
    row("no unknown jobs", reference),
    row(`${UNKNOWN_JOBS} unknown jobs in the fetch`, before),
    row(`${UNKNOWN_JOBS} unknown jobs parked`, after),
  ];
  process.stdout.write(`${formatTable(rows)}\n`);
  process.stdout.write(
    `${JSON.stringify({
      unknown_jobs: UNKNOWN_JOBS,
      jobs: JOBS,
      reference_seconds: round(reference.seconds, 2),
      in_fetch_seconds: round(before.seconds, 2),
      parked_seconds: round(after.seconds, 2),
      slowdown: round(before.seconds / after.seconds, 2),
      in_fetch_fetch_ms: round(before.fetchMs, 2),
      parked_fetch_ms: round(after.fetchMs, 2),
    })}\n`,
  );
} finally {
  await control.end();
  await bench.close();
}
