/**
 * Long batch work (an export) gives way to jobs that are behind: between two of its steps it
 * waits while jobs more urgent than its own are due and not yet taken by a worker. On a database
 * and machine it shares with the job engine, those jobs then get the cores, and the batch work
 * resumes as soon as they are taken (or after `maxMs`, so that a backlog nobody serves slows it
 * down rather than stopping it).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

/**
 * Whether a job is due that graphile-worker would fetch before one of lane priority
 * `priority` (higher is more urgent, as lanes speak), outside paused lanes. One probe of
 * graphile-worker's index of available jobs, ordered by (priority, run_at).
 */
export async function urgentWorkWaiting(db: Db, priority: number): Promise<boolean> {
  // Ordered as the index is, so that the planner walks it rather than the table.
  const { rows } = await sql<{ id: string }>`
    select j.id from graphile_worker._private_jobs j
    where j.is_available = true and j.priority < ${-priority}::int and j.run_at <= now()
      and not exists (
        select from lane_states s where s.paused and coalesce(j.flags ? s.lane, false))
    order by j.priority, j.run_at
    limit 1`.execute(db);
  return rows.length > 0;
}

export interface YieldOptions {
  /** The waiting job's lane priority. */
  priority: number;
  /** The longest wait; 0 never waits. */
  maxMs: number;
  /** Ends the wait early (the abort's reason is thrown). */
  signal?: AbortSignal;
  pollMs?: number;
  /** Called once, when the wait starts. */
  onWaiting?: () => void;
}

/** Waits while `urgentWorkWaiting`, at most `maxMs`; returns the milliseconds waited. */
export async function yieldToUrgentWork(db: Db, options: YieldOptions): Promise<number> {
  const started = performance.now();
  const deadline = started + options.maxMs;
  for (let first = true; performance.now() < deadline; first = false) {
    if (!(await urgentWorkWaiting(db, options.priority))) break;
    if (first) options.onWaiting?.();
    const left = deadline - performance.now();
    if (left <= 0) break;
    try {
      await sleep(Math.min(options.pollMs ?? 100, left), undefined, { signal: options.signal });
    } catch (error) {
      options.signal?.throwIfAborted();
      throw error;
    }
  }
  return performance.now() - started;
}
