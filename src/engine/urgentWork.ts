/**
 * Long batch work (an export) gives way to jobs that are behind: between two of its steps it
 * waits while jobs more urgent than its own are due and not yet taken by a worker. On a database
 * and machine it shares with the job engine, those jobs then get the cores, and the batch work
 * resumes once they are all taken and those taken have finished (a worker takes jobs in
 * batches, and runs the last of a backlog after it has left the queue). Jobs of a lane no live
 * worker serves, or of a paused one, wait whatever the batch work does, so they are not waited
 * for; nor is a backlog that stops moving (no worker takes its next job for `maxMs`), nor a job
 * that runs for longer than `maxMs`.
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

/**
 * The newest of the jobs more urgent than lane priority `priority` that workers hold (locked,
 * running or about to): its id, or null when they hold none.
 */
async function newestUrgentJobInHand(db: Db, priority: number): Promise<string | null> {
  const { rows } = await sql<{ id: string | null }>`
    select max(id)::text as id from graphile_worker._private_jobs
    where locked_at is not null and priority < ${-priority}::int`.execute(db);
  return rows[0]?.id ?? null;
}

/** Whether workers still hold a job more urgent than `priority` with an id up to `upTo`. */
async function urgentJobsInHand(db: Db, priority: number, upTo: string): Promise<boolean> {
  const { rows } = await sql<{ held: boolean }>`
    select exists (
      select from graphile_worker._private_jobs
      where id <= ${upTo}::bigint and locked_at is not null and priority < ${-priority}::int
    ) as held`.execute(db);
  return rows[0]?.held ?? false;
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
 * untaken for `maxMs`. When it waited and the jobs were all taken, it then waits for the jobs
 * workers hold at that moment to finish, for at most `maxMs`: jobs that come later are not
 * waited for, so a steady trickle of them never holds the batch work up. Returns the
 * milliseconds waited.
 */
export async function yieldToUrgentWork(db: Db, options: YieldOptions): Promise<number> {
  const started = performance.now();
  if (options.maxMs <= 0) return 0;
  const pause = (ms: number) =>
    sleep(Math.min(options.pollMs ?? 100, ms), undefined, { signal: options.signal }).catch(
      (error) => {
        options.signal?.throwIfAborted();
        throw error;
      },
    );
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
      return now - started;
    }
    await pause(headSince + options.maxMs - now);
  }
  if (head === null) return performance.now() - started;
  const upTo = await newestUrgentJobInHand(db, options.priority);
  const takenAt = performance.now();
  while (upTo !== null && (await urgentJobsInHand(db, options.priority, upTo))) {
    const left = takenAt + options.maxMs - performance.now();
    if (left <= 0) break;
    await pause(left);
  }
  return performance.now() - started;
}
