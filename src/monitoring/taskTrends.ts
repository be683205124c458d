/**
 * Seed 000's `get_task_performance_trends`: per task and day over the last `days` days, the
 * executions that ended, their success rate and their p50/p95 run time, read from the
 * per-minute rollups (`execution_minutes`, migration 0024), never from the ledger. Run times are
 * estimated from the histogram buckets the way Prometheus' `histogram_quantile` does: linearly
 * within the bucket the rank falls in.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { TerminalStatus } from "../engine/executionStatus.ts";
import { RUN_SECONDS_BUCKETS } from "./metricsQueries.ts";

export interface TaskTrendOptions {
  /** Days back, today included. Default 7. */
  days?: number;
  /** Only this task; default every task that ended an execution in the period. */
  task?: string;
  /** The IANA time zone days are cut in. Default UTC. */
  timeZone?: string;
}

export interface TaskDay {
  task: string;
  /** The local day, YYYY-MM-DD. */
  day: string;
  executions: number;
  succeeded: number;
  dead: number;
  cancelled: number;
  expired: number;
  /** succeeded / (succeeded + dead); null when neither happened. */
  success_rate: number | null;
  p50_seconds: number | null;
  p95_seconds: number | null;
  /** Mean time from due to start, for executions that started. */
  mean_wait_seconds: number | null;
}

interface Row {
  task: string;
  day: string;
  status: TerminalStatus;
  bucket: number;
  executions: number;
  run_seconds: number;
  wait_seconds: number;
}

/** The longest period trends are read over, in days. */
export const maxTrendDays = 3660;

export async function taskTrends(db: Db, options: TaskTrendOptions = {}): Promise<TaskDay[]> {
  const { days = 7, task, timeZone = "UTC" } = options;
  if (!Number.isSafeInteger(days) || days < 1 || days > maxTrendDays) {
    throw new RangeError(`days: expected a whole number from 1 to ${maxTrendDays}, got ${days}`);
  }
  const { rows: daysRows } = await sql<{ day: string }>`
    select to_char(d, 'YYYY-MM-DD') as day
    from generate_series((now() at time zone ${timeZone})::date - ${days - 1}::int,
                         (now() at time zone ${timeZone})::date, interval '1 day') d`.execute(db);
  const { rows } = await sql<Row>`
    select task_name as task, to_char(minute at time zone ${timeZone}, 'YYYY-MM-DD') as day,
           status, bucket, sum(executions)::float8 as executions,
           sum(run_seconds_sum)::float8 as run_seconds, sum(wait_seconds_sum)::float8 as wait_seconds
    from execution_minutes
    where minute >= (((now() at time zone ${timeZone})::date - ${days - 1}::int)::timestamp
                     at time zone ${timeZone})
      ${task === undefined ? sql`` : sql`and task_name = ${task}`}
    group by 1, 2, 3, 4`.execute(db);

  const tasks = task === undefined ? [...new Set(rows.map((row) => row.task))].sort() : [task];
  const byKey = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.task}\u0000${row.day}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  return tasks.flatMap((name) =>
    daysRows.map(({ day }) => summarize(name, day, byKey.get(`${name}\u0000${day}`) ?? [])),
  );
}

function summarize(task: string, day: string, rows: Row[]): TaskDay {
  const byStatus: Record<TerminalStatus, number> = {
    succeeded: 0,
    dead: 0,
    cancelled: 0,
    expired: 0,
  };
  const perBucket = new Array<number>(RUN_SECONDS_BUCKETS.length + 1).fill(0);
  let started = 0;
  let waitSeconds = 0;
  for (const row of rows) {
    byStatus[row.status] += row.executions;
    if (row.bucket >= 0) {
      const index = Math.min(row.bucket, RUN_SECONDS_BUCKETS.length);
      perBucket[index] = (perBucket[index] ?? 0) + row.executions;
      started += row.executions;
      waitSeconds += row.wait_seconds;
    }
  }
  const decided = byStatus.succeeded + byStatus.dead;
  return {
    task,
    day,
    executions: byStatus.succeeded + byStatus.dead + byStatus.cancelled + byStatus.expired,
    ...byStatus,
    success_rate: decided === 0 ? null : byStatus.succeeded / decided,
    p50_seconds: quantileFromBuckets(perBucket, RUN_SECONDS_BUCKETS, 0.5),
    p95_seconds: quantileFromBuckets(perBucket, RUN_SECONDS_BUCKETS, 0.95),
    mean_wait_seconds: started === 0 ? null : waitSeconds / started,
  };
}

/**
 * The `q` quantile of a histogram given its per-bucket (not cumulative) counts, the last one
 * above every bound: linear within the bucket holding the rank, from the bound below it (0 for
 * the first) to its own; the highest bound when the rank falls above them all. Null when empty.
 */
export function quantileFromBuckets(
  perBucket: readonly number[],
  bounds: readonly number[],
  q: number,
): number | null {
  const total = perBucket.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const count = perBucket[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + (upper - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return bounds.at(-1) ?? null;
}
