/** Hand-built system states for the alert tests: jobs, dead executions, workers, breakers. */
import { sql } from "kysely";
import { z } from "zod";
import { type AlertSettings, defaultAlertSettings } from "../../src/alerts/settings.ts";
import type { Db } from "../../src/database/pool.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import type { LaneName } from "../../src/engine/lanes.ts";
import { defineTask } from "../../src/engine/task.ts";

const laneTasks = new Map<string, ReturnType<typeof laneTask>>();

function laneTask(lane: LaneName) {
  return defineTask({
    name: `alert_test_${lane}`,
    lane,
    payload: z.object({ n: z.number() }),
    async run() {},
  });
}

/** A clean slate: no alerts, jobs, executions, workers or breakers. */
export async function resetAlertState(db: Db) {
  await sql`
    truncate alerts, executions, execution_attempts, execution_minutes, workers, circuit_breakers
    cascade`.execute(db);
  await sql`delete from graphile_worker._private_jobs`.execute(db);
}

/** Enqueues `count` jobs on `lane` whose run_at was `waitedSeconds` ago; returns their ids. */
export async function waitingJobs(db: Db, lane: LaneName, count: number, waitedSeconds = 0) {
  let task = laneTasks.get(lane);
  if (!task) {
    task = laneTask(lane);
    laneTasks.set(lane, task);
  }
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push(await enqueue(db, task, { n }));
  await sql`
    update executions set run_at = now() - make_interval(secs => ${waitedSeconds}::float8)
    where public_id = any(${ids}::uuid[])`.execute(db);
  return ids;
}

/** `count` executions that ended dead `minutesAgo` minutes ago. */
export async function deadExecutions(db: Db, count: number, minutesAgo = 1) {
  const ids = await waitingJobs(db, "maintenance", count);
  await sql`
    update executions set status = 'dead', finished_at = now() - make_interval(mins => ${minutesAgo}::int)
    where public_id = any(${ids}::uuid[])`.execute(db);
  await sql`
    delete from graphile_worker._private_jobs
    where id in (select job_id from executions where public_id = any(${ids}::uuid[]))`.execute(db);
}

/** Moves every ending back by `interval` (e.g. '1 hour'): the ledger and its per-minute rollups. */
export async function endingsAge(db: Db, interval: string) {
  await sql`update executions set finished_at = finished_at - ${interval}::interval`.execute(db);
  await sql`update execution_minutes set minute = minute - ${interval}::interval`.execute(db);
}

let workerCount = 0;

/** A worker row: alive (heard from now), or stopped `stoppedMinutesAgo` ago for `stopReason`. */
export async function workerRow(
  db: Db,
  worker: {
    type: string;
    host: string;
    lanes?: string[];
    stoppedMinutesAgo?: number;
    stopReason?: string | null;
  },
) {
  const id = `alert-test-${++workerCount}`;
  const stopped = worker.stoppedMinutesAgo;
  await db
    .insertInto("workers")
    .values({
      id,
      type: worker.type,
      lanes: worker.lanes ?? [],
      host: worker.host,
      pid: 1000 + workerCount,
      stopped_at:
        stopped === undefined ? null : sql<Date>`now() - make_interval(mins => ${stopped}::int)`,
      stop_reason: worker.stopReason ?? null,
    })
    .execute();
  return id;
}

export async function breaker(db: Db, name: string, state: "open" | "half_open" | "closed") {
  await sql`
    insert into circuit_breakers (name, state, failures, opened_at, probe_holder, probe_started_at)
    values (${name}, ${state}, 5,
            case when ${state} = 'closed' then null else now() end,
            case when ${state} = 'half_open' then 'probe' end,
            case when ${state} = 'half_open' then now() end)
    on conflict (name) do update set state = excluded.state, opened_at = excluded.opened_at,
      probe_holder = excluded.probe_holder, probe_started_at = excluded.probe_started_at`.execute(
    db,
  );
}

/** Settings under which nothing fires unless a test builds the state for it. */
export function quietSettings(overrides: Partial<AlertSettings> = {}): AlertSettings {
  return { ...defaultAlertSettings, databaseLatencyMs: 60_000, ...overrides };
}
