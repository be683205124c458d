/**
 * Executions ended per time bucket over a recent window (the dashboard's throughput chart), read
 * from the per-minute rollups (`execution_minutes`, migration 0024) through their primary key's
 * leading `minute`: the cost follows the window and the number of tasks, never the ledger.
 * Buckets are whole minutes, hours or six-hour spans in UTC; empty ones are listed with zeros.
 *
 * A week is some 10,000 minutes per task and status: for hour and six-hour buckets, the counts of
 * buckets that ended more than `settleMs` ago are kept in memory (per database handle) for
 * `reuseMs` and only the recent minutes are read again, so a refreshing page stays cheap. Such a
 * bucket's counts may lag by up to `reuseMs` if executions are counted into it late.
 *
 * @example
 * const { buckets } = await executionThroughput(db, { window: "24h" });
 * // 24 hourly buckets, oldest first: { start, succeeded, dead, cancelled, expired }
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { TerminalStatus } from "../engine/executionStatus.ts";

export const throughputWindows = ["1h", "24h", "7d"] as const;
export type ThroughputWindow = (typeof throughputWindows)[number];

/** Each window's bucket width and number of buckets (the current, partial bucket included). */
export const throughputWindowShapes: Record<
  ThroughputWindow,
  { bucketMinutes: number; buckets: number }
> = {
  "1h": { bucketMinutes: 1, buckets: 60 },
  "24h": { bucketMinutes: 60, buckets: 24 },
  "7d": { bucketMinutes: 360, buckets: 28 },
};

export interface ThroughputBucket extends Record<TerminalStatus, number> {
  /** The bucket's first minute. */
  start: Date;
}

export interface ExecutionThroughput {
  window: ThroughputWindow;
  bucketMinutes: number;
  buckets: ThroughputBucket[];
  totals: Record<TerminalStatus, number>;
}

/** A bucket counts as settled this long after it ended. */
const settleMs = 10 * 60_000;
/** How long settled buckets' counts are reused before they are read again. */
const reuseMs = 5 * 60_000;

interface SettledCounts {
  readAt: number;
  /** The first and last bucket start (ms) the rows cover. */
  from: number;
  until: number;
  rows: { start: number; status: TerminalStatus; count: number }[];
}

const settledCounts = new WeakMap<Db, Map<number, SettledCounts>>();

export async function executionThroughput(
  db: Db,
  options: { window: ThroughputWindow; now?: Date },
): Promise<ExecutionThroughput> {
  const { bucketMinutes, buckets: count } = throughputWindowShapes[options.window];
  const bucketMs = bucketMinutes * 60_000;
  const now = options.now ?? new Date();
  const lastStart = Math.floor(now.getTime() / bucketMs) * bucketMs;
  const firstStart = new Date(lastStart - (count - 1) * bucketMs);
  const settledBefore = now.getTime() - settleMs - bucketMs;
  const cached = bucketMinutes >= 60 ? settledCounts.get(db)?.get(bucketMinutes) : undefined;
  const reuse =
    cached !== undefined &&
    now.getTime() - cached.readAt < reuseMs &&
    cached.from <= firstStart.getTime();
  const readFrom = reuse ? new Date(cached.until + bucketMs) : firstStart;
  const { rows: read } = await sql<{ start: Date; status: TerminalStatus; count: number }>`
    select date_bin(${`${bucketMinutes} minutes`}::interval, minute, timestamptz 'epoch') as start,
           status, sum(executions)::float8 as count
    from execution_minutes
    where minute >= ${readFrom}
    group by 1, 2`.execute(db);
  const rows = read.map((row) => ({ ...row, start: new Date(row.start).getTime() }));
  if (reuse) {
    rows.push(...cached.rows.filter((row) => row.start >= firstStart.getTime()));
  } else if (bucketMinutes >= 60) {
    const settled = rows.filter((row) => row.start <= settledBefore);
    const until = Math.floor(settledBefore / bucketMs) * bucketMs;
    const byWidth = settledCounts.get(db) ?? new Map();
    byWidth.set(bucketMinutes, {
      readAt: now.getTime(),
      from: firstStart.getTime(),
      until,
      rows: settled.filter((row) => row.start <= until),
    });
    settledCounts.set(db, byWidth);
  }
  const buckets: ThroughputBucket[] = Array.from({ length: count }, (_, index) => ({
    start: new Date(firstStart.getTime() + index * bucketMs),
    succeeded: 0,
    dead: 0,
    cancelled: 0,
    expired: 0,
  }));
  const totals: Record<TerminalStatus, number> = {
    succeeded: 0,
    dead: 0,
    cancelled: 0,
    expired: 0,
  };
  for (const row of rows) {
    const index = Math.round((row.start - firstStart.getTime()) / bucketMs);
    const bucket = buckets[index];
    if (!bucket || !(row.status in totals)) continue;
    bucket[row.status] += row.count;
    totals[row.status] += row.count;
  }
  return { window: options.window, bucketMinutes, buckets, totals };
}
