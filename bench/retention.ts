/**
 * `npm run bench:retention`: the engine's throughput while retention deletes a large ledger.
 *
 *   fill       BENCH_OLD_EXECUTIONS (1,000,000) terminal executions that ended 31–90 days ago
 *              (98% succeeded, 1% dead with 3 attempts each, 0.5% cancelled, 0.5% expired) and
 *              BENCH_RECENT_EXECUTIONS (50,000) that ended in the last 10 days, written with
 *              `generate_series` while the ledger's secondary indexes are set aside
 *              (deferredIndexes.ts), then `vacuum analyze`.
 *   alone      the engine rounds of `npm run bench` (engineLoad.ts: BENCH_JOBS no-op jobs through
 *              a worker in this process), BENCH_ROUNDS times, with no retention running.
 *   during     `deleteOldExecutions` (cleanup_old_tasks' ledger retention: 30 days, batches of
 *              5,000 rows) on a pool of its own, and engine rounds one after another while it
 *              runs; a round counts when the retention run was still going at its end.
 *   after      BENCH_ROUNDS - 1 more rounds alone, so the alone median spans the run.
 *
 * Reported: the ratio of the engine's median throughput during retention to alone, the
 * retention run's deletion rate (rows/s) and its batches' longest statement (the longest any
 * row lock was held), and, for every round, the longest time no job finished ("workers never
 * stopped" when that stays in the range of the rounds alone). Afterwards it checks that every
 * old execution and its attempts are gone and every recent one is kept.
 *
 * Env: BENCH_DATABASE_URL or DATABASE_URL (else an embedded server), BENCH_OLD_EXECUTIONS,
 * BENCH_RECENT_EXECUTIONS, BENCH_JOBS (20,000), BENCH_ROUNDS (3). Progress goes to stderr; stdout
 * is the table and, as its last line, one JSON object.
 */
import { performance } from "node:perf_hooks";
import { deferSecondaryIndexes, rebuildIndexes } from "../src/database/deferredIndexes.ts";
import { createDb, createPool, type Pool } from "../src/database/pool.ts";
import type { DeletionResult } from "../src/maintenance/batchedDeletion.ts";
import { deleteOldExecutions } from "../src/maintenance/executionRetention.ts";
import { openBenchDatabase } from "./database.ts";
import {
  counter,
  engineRound,
  logger,
  measure,
  seconds,
  settings,
  TASK,
  type ThroughputResult,
} from "./engineLoad.ts";
import { formatTable, intFromEnv, median, type Row, round, runBench } from "./stats.ts";

const OLD = intFromEnv("BENCH_OLD_EXECUTIONS", 1_000_000);
const RECENT = intFromEnv("BENCH_RECENT_EXECUTIONS", 50_000);
const JOBS = intFromEnv("BENCH_JOBS", 20_000);
const ROUNDS = intFromEnv("BENCH_ROUNDS", 3);
const RETENTION_DAYS = 30;
const BATCH_SIZE = 5_000;
const SAMPLE_MS = 20;

const progress = (message: string) => process.stderr.write(`[bench:retention] ${message}\n`);

/** Writes the old and recent executions in one transaction, the ledger's indexes set aside. */
async function fill(control: Pool): Promise<number> {
  const started = performance.now();
  const client = await control.connect();
  try {
    await client.query("begin");
    const deferred = await deferSecondaryIndexes(client, "executions", OLD + RECENT);
    await client.query(
      `insert into executions (task_name, lane, status, payload, priority, attempts, max_attempts,
                               run_at, created_at, started_at, finished_at, updated_at, worker_id)
       select (array['process_webhook_callback', 'process_call_recording', 'calculate_hourly_metrics',
                     'queue_outbound_call'])[1 + g % 4],
              'webhooks',
              case when g % 100 = 0 then 'dead' when g % 200 = 1 then 'cancelled'
                   when g % 200 = 3 then 'expired' else 'succeeded' end,
              jsonb_build_object('webhook_log_id', g), 10,
              case when g % 100 = 0 then 3 else 1 end, 3,
              t, t, t, t + interval '1 second', t + interval '1 second', 'bench-worker'
       from generate_series(1, $1::int) g,
            lateral (select now() - interval '90 days' + (g::float8 / $1) * interval '59 days' as t) s`,
      [OLD],
    );
    await client.query(
      `insert into executions (task_name, lane, status, payload, priority, attempts, max_attempts,
                               run_at, created_at, started_at, finished_at, updated_at)
       select 'process_webhook_callback', 'webhooks', 'succeeded', '{}', 10, 1, 3, t, t, t, t, t
       from generate_series(1, $1::int) g,
            lateral (select now() - interval '10 days' + (g::float8 / $1) * interval '10 days' as t) s`,
      [RECENT],
    );
    await client.query(
      `insert into execution_attempts (execution_id, attempt, worker_id, started_at, finished_at,
                                       outcome, error_class, error_message)
       select e.id, a, 'bench-worker', e.started_at, e.finished_at, 'failed', 'TwilioError',
              'the Twilio API answered 503'
       from executions e, generate_series(1, 3) a
       where e.status = 'dead'`,
    );
    await rebuildIndexes(client, deferred);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
  await control.query("vacuum analyze executions, execution_attempts");
  return seconds(started);
}

/** Empties the job tables and this bench's own executions; the filled ledger stays. */
async function resetEngine(control: Pool): Promise<void> {
  await control.query("delete from executions where task_name = $1", [TASK]);
  await control.query(
    "truncate graphile_worker._private_jobs, graphile_worker._private_job_queues",
  );
  await control.query("delete from workers");
}

interface Round extends ThroughputResult {
  /** The longest time in the round without a job finishing, in ms (sampled every 20 ms). */
  longestStallMs: number;
}

/** An engine round, watching how long the workers ever went without finishing a job. */
async function watchedRound(control: Pool, url: string): Promise<Round> {
  await resetEngine(control);
  counter.count = 0;
  let last = 0;
  let lastChange = performance.now();
  let longestStallMs = 0;
  // From the first job run to the last: the worker's start and the enqueue are not stalls.
  const sampler = setInterval(() => {
    const now = performance.now();
    const count = counter.count;
    if (count === 0 || count >= JOBS || count !== last) {
      last = count;
      lastChange = now;
      return;
    }
    longestStallMs = Math.max(longestStallMs, now - lastChange);
  }, SAMPLE_MS);
  try {
    const result = await measure("engine", () => engineRound(control, url, JOBS, { reset: false }));
    return { ...result, longestStallMs: round(longestStallMs) };
  } finally {
    clearInterval(sampler);
  }
}

async function main() {
  const benchStart = performance.now();
  const database = await openBenchDatabase(logger);
  progress(`database on ${database.server}`);
  const control = createPool(database.url, 3);
  const retentionPool = createPool(database.url, 2);
  const alone: Round[] = [];
  const during: Round[] = [];
  const batchMs: number[] = [];
  let fillSeconds: number;
  let retention: DeletionResult | undefined;
  let retentionSeconds = 0;
  let roundsDuringAll = 0;
  let kept: { old: number; recent: number; attempts: number };
  try {
    progress(`filling ${OLD} old and ${RECENT} recent executions`);
    fillSeconds = await fill(control);
    progress(`filled in ${round(fillSeconds, 1)} s`);

    progress("engine: warm-up");
    await resetEngine(control);
    await measure("warm-up", () => engineRound(control, database.url, 2_000, { reset: false }));
    for (let index = 1; index <= ROUNDS; index++) {
      alone.push(await watchedRound(control, database.url));
      progress(`alone #${index}: ${Math.round(alone.at(-1)?.perSecond ?? 0)} jobs/s`);
    }

    progress("retention: starting");
    let running = true;
    let lastBatchAt = performance.now();
    const retentionStart = performance.now();
    const run = deleteOldExecutions(createDb(retentionPool), {
      days: RETENTION_DAYS,
      batchSize: BATCH_SIZE,
      onProgress: (p) => {
        const now = performance.now();
        batchMs.push(now - lastBatchAt);
        lastBatchAt = now;
        if (p.batches % 40 === 0) progress(`retention: ${p.deleted} deleted`);
      },
    }).finally(() => {
      running = false;
      retentionSeconds = seconds(retentionStart);
    });
    while (running) {
      const result = await watchedRound(control, database.url);
      roundsDuringAll++;
      if (running) {
        during.push(result);
        progress(`during #${during.length}: ${Math.round(result.perSecond)} jobs/s`);
      } else {
        progress(`a round ended after the retention run: not counted`);
      }
    }
    retention = await run;
    progress(
      `retention: ${retention.deleted} executions, ${retention.related.attempts} attempts in ${round(retentionSeconds, 1)} s`,
    );
    for (let index = 1; index < ROUNDS; index++) {
      alone.push(await watchedRound(control, database.url));
      progress(`alone (after) #${index}: ${Math.round(alone.at(-1)?.perSecond ?? 0)} jobs/s`);
    }
    await resetEngine(control);
    const { rows } = await control.query<{ old: number; recent: number; attempts: number }>(
      `select count(*) filter (where finished_at < now() - interval '30 days')::int as old,
              count(*) filter (where finished_at >= now() - interval '30 days')::int as recent,
              (select count(*)::int from execution_attempts) as attempts
       from executions`,
    );
    kept = rows[0] as typeof kept;
  } finally {
    await retentionPool.end();
    await control.end();
    await database.close();
  }
  if (!retention) throw new Error("the retention run did not end");
  if (during.length === 0) throw new Error("no engine round ended while retention ran");

  const aloneRate = median(alone.map((r) => r.perSecond));
  const duringRate = median(during.map((r) => r.perSecond));
  const stall = (rounds: Round[]) => Math.max(...rounds.map((r) => r.longestStallMs));
  const result = {
    old_executions: OLD,
    recent_executions: RECENT,
    fill_s: round(fillSeconds, 1),
    deleted_executions: retention.deleted,
    deleted_attempts: retention.related.attempts ?? 0,
    retention_s: round(retentionSeconds, 1),
    deletion_rows_per_s: round(
      (retention.deleted + (retention.related.attempts ?? 0)) / retentionSeconds,
    ),
    deletion_executions_per_s: round(retention.deleted / retentionSeconds),
    batches: retention.batches,
    largest_batch: retention.largestBatch,
    batch_ms_median: round(median(batchMs), 1),
    batch_ms_max: round(Math.max(...batchMs), 1),
    engine_jobs_per_s: round(aloneRate),
    engine_during_retention_jobs_per_s: round(duringRate),
    engine_ratio: round(duringRate / aloneRate, 3),
    rounds_during: during.length,
    longest_stall_alone_ms: stall(alone),
    longest_stall_during_ms: stall(during),
    left_old: kept.old,
    left_recent: kept.recent,
    left_attempts: kept.attempts,
  };
  const rowsOut: Row[] = [
    {
      phase: "fill",
      jobs: OLD + RECENT,
      seconds: fillSeconds,
      perSecond: (OLD + RECENT) / fillSeconds,
      settings: `${OLD} ended 31–90 days ago, ${RECENT} in the last 10 days; generate_series, indexes set aside`,
    },
    {
      phase: "engine alone",
      jobs: JOBS,
      seconds: JOBS / aloneRate,
      perSecond: aloneRate,
      settings: `median of ${alone.length} (before and after); longest stall ${result.longest_stall_alone_ms} ms; ${settings}`,
    },
    {
      phase: "engine during retention",
      jobs: JOBS,
      seconds: JOBS / duringRate,
      perSecond: duringRate,
      settings: `median of ${during.length} (${roundsDuringAll - during.length} ended after it); ratio ${result.engine_ratio}; longest stall ${result.longest_stall_during_ms} ms`,
    },
    {
      phase: "retention",
      jobs: retention.deleted,
      seconds: retentionSeconds,
      perSecond: result.deletion_executions_per_s,
      settings: `${retention.batches} batches of ≤ ${BATCH_SIZE} (largest ${retention.largestBatch}), each ${result.batch_ms_median} ms median / ${result.batch_ms_max} ms max; +${result.deleted_attempts} attempts; left: ${kept.old} old, ${kept.recent} recent`,
    },
  ];
  process.stdout.write(
    `\nSwitchboard retention benchmark — database on ${database.server}, ` +
      `${round((performance.now() - benchStart) / 1000, 1)} s in all\n\n` +
      `${formatTable(rowsOut, { jobs: "rows", perSecond: "rows/s" })}\n\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

runBench(main);
