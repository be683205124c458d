/**
 * Long batch work (an export) gives way to jobs that are behind: between two of its steps it
 * waits while jobs more urgent than its own are due and not yet taken by a worker. On a database
 * and machine it shares with the job engine, those jobs then get the cores, and the batch work
 * resumes as soon as they are all taken. Jobs of a lane no live worker serves, or of a paused
 * one, wait whatever the batch work does, so they are not waited for; nor is a backlog that stops
 * moving (no worker takes its next job for `maxMs`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { defaultWorkerSilentAfterMs, workerAlive } from "./fleet/workerAlive.ts";

/**
 * The job graphile-worker would fetch next among those due before one of lane priority
 * `priority` (higher is more urgent, as lanes speak), in lanes that a live worker serves and
 * that are not paused: its id, or null when there is none. One probe of graphile-worker's index
 * of available jobs.
 */
export async function nextUrgentJob(db: Db, priority: number): Promise<string | null> {
  // Ordered as the index is, so that the planner walks it rather than the table.
  const { rows } = await sql<{ id: string }>`
    select j.id::text from graphile_worker._private_jobs j
    where j.is_available = true and j.priority < ${-priority}::int and j.run_at <= now()
      and exists (
        select from workers where ${workerAlive(defaultWorkerSilentAfterMs)} and j.flags ?| lanes)
      and not exists (
        select from lane_states s where s.paused and coalesce(j.flags ? s.lane, false))
    order by j.priority, j.run_at
    limit 1`.execute(db);
  return rows[0]?.id ?? null;
}

export interface YieldOptions {
  /** The waiting work's lane priority. */
  priority: number;
  /** How long the urgent jobs may go without one of them being taken; 0 never waits. */
  maxMs: number;
  /** Ends the wait early (the abort's reason is thrown). */
  signal?: AbortSignal;
  pollMs?: number;
  /** Called once, when the wait starts. */
  onWaiting?: () => void;
}

/**
 * Waits while `nextUrgentJob` finds a job, until none is left or the same one has stayed
 * untaken for `maxMs`; returns the milliseconds waited.
 */
export async function yieldToUrgentWork(db: Db, options: YieldOptions): Promise<number> {
  const started = performance.now();
  if (options.maxMs <= 0) return 0;
  let head: string | null = null;
  let headSince = started;
  for (;;) {
    const next = await nextUrgentJob(db, options.priority);
    if (next === null) break;
    const now = performance.now();
    if (head === null) options.onWaiting?.();
    if (next !== head) {
      head = next;
      headSince = now;
    } else if (now - headSince >= options.maxMs) {
      break;
    }
    const left = headSince + options.maxMs - now;
    try {
      await sleep(Math.min(options.pollMs ?? 100, left), undefined, { signal: options.signal });
    } catch (error) {
      options.signal?.throwIfAborted();
      throw error;
    }
  }
  return performance.now() - started;
}
