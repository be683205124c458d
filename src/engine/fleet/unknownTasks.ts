/**
 * Jobs of a task no live worker knows (one removed in a deploy) would wait forever, and
 * graphile-worker's fetch would walk past every one of them each time it looks for a job: its
 * fetch index holds every available job and filters by task afterwards. So the sweep of every
 * worker's heartbeat parks them: it locks them with `locked_by` = `PARKED_BY` and `locked_at` =
 * 'infinity'. graphile-worker never fetches a locked job, frees only locks older than 4 hours
 * (never this one) and `force_unlock_workers` frees only its own workers' ids. Their executions
 * stay waiting (`queued`, `scheduled`, `retrying`); health names the tasks and counts their jobs;
 * cancel and purge treat a parked job as waiting. As soon as a live worker knows the task again,
 * a sweep unparks its jobs.
 *
 * "Known" means in `workers.tasks` of a live worker (see workerAlive.ts). A fleet without a live
 * worker knows nothing, so nothing is parked or unparked then. A live worker whose `tasks` is
 * null (a version before `workers.tasks`) may know any task: nothing is parked while it lives,
 * and every parked job is unparked.
 *
 * @example
 * const sweeper = new UnknownTaskSweeper(db, { silentAfterMs: 30_000 });
 * setInterval(() => void sweeper.sweep(), 5_000); // { parked, unparked }
 */
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { workerAlive } from "./workerAlive.ts";

/** `locked_by` of a parked job. The partial index `switchboard_parked_jobs` holds these jobs. */
export const PARKED_BY = "switchboard:unknown_task";

const parked = sql.lit(PARKED_BY);

/**
 * True for a graphile-worker job that no worker holds: unlocked, or parked. `table` qualifies
 * the columns, e.g. in a join.
 */
export function jobWaiting(table?: string): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(table ? `${table}.${name}` : name);
  return sql<boolean>`(${column("locked_at")} is null or ${column("locked_by")} = ${parked})`;
}

export interface UnknownTaskSweeperOptions {
  /** `WORKER_SILENT_AFTER_MS`: only live workers know tasks (see workerAlive.ts). */
  silentAfterMs: number;
  /**
   * How often a sweep looks for jobs to park, in ms. While graphile-worker's list of task names
   * holds one no live worker knows (it keeps names of removed tasks forever), a look walks the
   * fetch index of available jobs. Default: `silentAfterMs`; the first look comes one period
   * after the sweeper is made. Unparking is looked for at every sweep (an index lookup).
   */
  parkEveryMs?: number;
  /** Most jobs one statement parks or unparks; each statement is its own transaction. */
  batchSize?: number;
  /**
   * Most statements of each kind one sweep runs, so a heartbeat is never held long; a sweep that
   * reached it parks again at the next sweep instead of waiting for `parkEveryMs`.
   */
  maxBatches?: number;
}

const defaults = { batchSize: 1_000, maxBatches: 10 };

export interface UnknownTaskSweep {
  parked: number;
  unparked: number;
}

export class UnknownTaskSweeper {
  readonly #db: Db;
  readonly #silentAfterMs: number;
  readonly #parkEveryMs: number;
  readonly #batchSize: number;
  readonly #maxBatches: number;
  #lookedAt = Date.now();
  #moreToPark = false;

  constructor(db: Db, options: UnknownTaskSweeperOptions) {
    const { silentAfterMs, parkEveryMs = silentAfterMs } = options;
    const { batchSize, maxBatches } = { ...defaults, ...options };
    for (const [name, value] of Object.entries({ silentAfterMs, parkEveryMs })) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name}: expected ms ≥ 0`);
    }
    for (const [name, value] of Object.entries({ batchSize, maxBatches })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name}: expected ≥ 1`);
    }
    this.#db = db;
    this.#silentAfterMs = silentAfterMs;
    this.#parkEveryMs = parkEveryMs;
    this.#batchSize = batchSize;
    this.#maxBatches = maxBatches;
  }

  async sweep(): Promise<UnknownTaskSweep> {
    const unparked = await this.#repeat(() =>
      unparkJobs(this.#db, this.#silentAfterMs, this.#batchSize),
    );
    let parked = 0;
    if (this.#moreToPark || Date.now() - this.#lookedAt >= this.#parkEveryMs) {
      this.#lookedAt = Date.now();
      parked = await this.#repeat(() => parkJobs(this.#db, this.#silentAfterMs, this.#batchSize));
      this.#moreToPark = parked === this.#batchSize * this.#maxBatches;
    }
    return { parked, unparked };
  }

  async #repeat(batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (let round = 0; round < this.#maxBatches; round++) {
      const moved = await batch();
      total += moved;
      if (moved < this.#batchSize) break;
    }
    return total;
  }
}

/** The live workers, as the statements below start from. */
const aliveWorkers = (silentAfterMs: number) =>
  sql`select tasks from workers where ${workerAlive(silentAfterMs)}`;

/** Parks at most `limit` available jobs of tasks no live worker knows; returns how many. */
export async function parkJobs(db: Db, silentAfterMs: number, limit: number): Promise<number> {
  // graphile-worker's own list of task names is short: finding the unknown ones first keeps a
  // sweep that has nothing to park from touching the jobs at all.
  const { rows: unknown } = await sql<{ id: number }>`
    with alive as (${aliveWorkers(silentAfterMs)})
    select t.id from graphile_worker._private_tasks t
    where exists (select 1 from alive)
      and not exists (select 1 from alive where tasks is null or t.identifier = any(tasks))`.execute(
    db,
  );
  if (unknown.length === 0) return 0;
  const result = await sql`
    update graphile_worker._private_jobs j set locked_at = 'infinity', locked_by = ${parked}
    where j.id in (
      select id from graphile_worker._private_jobs
      where is_available = true and task_id = any(${unknown.map((task) => task.id)}::int[])
      limit ${limit}
      for update skip locked
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Unparks at most `limit` parked jobs of tasks a live worker knows; returns how many. */
export async function unparkJobs(db: Db, silentAfterMs: number, limit: number): Promise<number> {
  const { rows } = await sql<{ unparked: number }>`
    with alive as (${aliveWorkers(silentAfterMs)}),
    known as (
      select t.id from graphile_worker._private_tasks t
      where exists (select 1 from alive where tasks is null or t.identifier = any(tasks))
    ),
    unparked as (
      update graphile_worker._private_jobs j set locked_at = null, locked_by = null
      where j.id in (
        select id from graphile_worker._private_jobs
        where locked_by = ${parked} and task_id in (select id from known)
        limit ${limit}
        for update skip locked
      )
      returning j.id
    )
    select count(*)::int as unparked from unparked`.execute(db);
  const unparked = rows[0]?.unparked ?? 0;
  // graphile-worker's own wake-up call, as `add_jobs` sends it: idle workers fetch at once.
  if (unparked > 0) {
    await sql`select pg_notify('jobs:insert', json_build_object('r', random(), 'count', ${unparked}::int)::text)`.execute(
      db,
    );
  }
  return unparked;
}

export interface UnknownTask {
  task_name: string;
  /** Its parked jobs. */
  waiting: number;
}

/** The tasks whose jobs are parked, with how many of each, most first. */
export async function unknownTaskList(db: Db): Promise<UnknownTask[]> {
  const { rows } = await sql<UnknownTask>`
    select t.identifier as task_name, count(*)::int as waiting
    from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
    where j.locked_by = ${parked}
    group by t.identifier
    order by waiting desc, task_name`.execute(db);
  return rows;
}
