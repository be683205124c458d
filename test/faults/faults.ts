/**
 * The faults the suite injects, each recorded with the moment it hit: SIGKILLs of workers in the
 * middle of their jobs, a SIGSTOP past the silent threshold (then SIGCONT, then a kill of the
 * resumed process), a database restart in immediate mode and a database outage — after each
 * database fault, which of the workers that were up before it heartbeat again.
 */
import { sql } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import type { PrivateServer } from "../support/privateServer.ts";
import type { Fleet, WorkerProcess } from "./fleet.ts";

export interface FaultContext {
  db: Db;
  fleet: Fleet;
  server: PrivateServer;
  progress: (message: string) => void;
}

export interface Kill {
  pid: number;
  at: number;
  /** `random`: a worker busy with jobs; `resumed`: the worker that was paused, once resumed. */
  kind: "random" | "resumed";
}

export interface Pause {
  pid: number;
  stoppedAt: number;
  continuedAt: number;
}

export interface DatabaseFault {
  kind: "restart in immediate mode" | "outage";
  downAt: number;
  upAt: number;
  /** Worker processes serving jobs when the database went away. */
  before: number[];
  /** Of those, the ones that heartbeat again after it came back, and after how long. */
  resumed: { pid: number; afterMs: number }[];
}

/** How long a fleet that survived a database fault gets to heartbeat again. */
const RESUME_WINDOW_MS = 30_000;
/** How long a kill waits for a worker that is in the middle of a job. */
const BUSY_WAIT_MS = 5_000;
/** How long a fault waits for a worker it may hit, while replacements start. */
const WORKER_WAIT_MS = 30_000;
/**
 * How long a worker serves jobs before a fault may hit it: one heartbeat at the default
 * interval, so that it has heartbeat and swept once, as a worker of a real fleet has.
 */
const SETTLED_MS = 5_000;

/** `count` SIGKILLs, one every `everyMs`, each of a worker in the middle of a job if one is. */
export async function killWorkers(
  ctx: FaultContext,
  count: number,
  everyMs: number,
): Promise<Kill[]> {
  const kills: Kill[] = [];
  for (let n = 1; n <= count; n++) {
    await sleep(everyMs);
    const { worker, busyRuns } = await pickWorker(ctx);
    if (!worker) {
      ctx.progress(`kill ${n}/${count}: no worker to kill`);
      continue;
    }
    ctx.fleet.signal(worker, "SIGKILL");
    kills.push({ pid: worker.pid, at: Date.now(), kind: "random" });
    ctx.progress(
      `kill ${n}/${count}: SIGKILL worker #${worker.number} (pid ${worker.pid}, ${busyRuns} runs in hand)`,
    );
  }
  return kills;
}

/**
 * A worker to hit, chosen at random among those that have served jobs for `SETTLED_MS`: one in
 * the middle of a job if one is within `BUSY_WAIT_MS`, else any. Another serving worker must
 * remain, to keep the fleet's sweeps going; it waits up to `WORKER_WAIT_MS` while
 * replacements start.
 */
async function pickWorker(
  ctx: FaultContext,
): Promise<{ worker: WorkerProcess | undefined; busyRuns: number }> {
  const startedAt = Date.now();
  for (;;) {
    const serving = ctx.fleet.serving();
    const candidates =
      serving.length < 2
        ? []
        : serving.filter((w) => (w.readyAt as number) <= Date.now() - SETTLED_MS);
    const busy = await busyRunsByPid(
      ctx.db,
      candidates.map((w) => w.pid),
    ).catch(() => new Map<number, number>());
    const busyWorkers = candidates.filter((w) => busy.has(w.pid));
    const waited = Date.now() - startedAt;
    const pool = busyWorkers.length > 0 ? busyWorkers : waited > BUSY_WAIT_MS ? candidates : [];
    if (pool.length > 0 || waited > WORKER_WAIT_MS) {
      const worker = pool[Math.floor(Math.random() * pool.length)];
      return { worker, busyRuns: worker ? (busy.get(worker.pid) ?? 0) : 0 };
    }
    await sleep(100);
  }
}

async function busyRunsByPid(db: Db, pids: number[]): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number; runs: number }>`
    select pid, count(*)::int as runs from fault_runs
    where finished_at is null and task_name = 'debug_task' and pid = any(${pids}::int[])
    group by pid`.execute(db);
  return new Map(rows.map((row) => [row.pid, row.runs]));
}

/**
 * SIGSTOPs a worker for `pauseMs` (past the silent threshold, so the fleet declares it dead),
 * SIGCONTs it, and `killAfterMs` later — once it holds a job, if it takes one within
 * `BUSY_WAIT_MS` — SIGKILLs it if it is still running: what happens to jobs it took after it
 * resumed. Other faults leave the worker alone meanwhile.
 */
export async function pauseWorker(
  ctx: FaultContext,
  pauseMs: number,
  killAfterMs: number,
): Promise<{ pause?: Pause; kill?: Kill }> {
  const { worker } = await pickWorker(ctx);
  if (!worker) {
    ctx.progress("pause: no worker to pause");
    return {};
  }
  worker.reserved = true;
  ctx.fleet.signal(worker, "SIGSTOP");
  const stoppedAt = Date.now();
  ctx.progress(`SIGSTOP worker #${worker.number} (pid ${worker.pid}) for ${pauseMs / 1000} s`);
  await sleep(pauseMs);
  if (worker.exit) {
    ctx.progress(`worker #${worker.number} exited while paused`);
    return { pause: { pid: worker.pid, stoppedAt, continuedAt: Date.now() } };
  }
  ctx.fleet.signal(worker, "SIGCONT");
  const pause = { pid: worker.pid, stoppedAt, continuedAt: Date.now() };
  ctx.progress(`SIGCONT worker #${worker.number} (pid ${worker.pid})`);
  await sleep(killAfterMs);
  if (worker.exit) return { pause: resumedExited(ctx, worker, pause) };
  let busyRuns = 0;
  for (const deadline = Date.now() + BUSY_WAIT_MS; busyRuns === 0 && Date.now() < deadline; ) {
    const busy = await busyRunsByPid(ctx.db, [worker.pid]).catch(() => new Map<number, number>());
    busyRuns = busy.get(worker.pid) ?? 0;
    if (busyRuns === 0) await sleep(100);
  }
  if (worker.exit) return { pause: resumedExited(ctx, worker, pause) };
  ctx.fleet.signal(worker, "SIGKILL");
  ctx.progress(
    `SIGKILL the resumed worker #${worker.number} (pid ${worker.pid}, ${busyRuns} runs in hand)`,
  );
  return { pause, kill: { pid: worker.pid, at: Date.now(), kind: "resumed" } };
}

function resumedExited(ctx: FaultContext, worker: WorkerProcess, pause: Pause): Pause {
  const exit = worker.exit?.signal ?? `code ${worker.exit?.code}`;
  ctx.progress(`the resumed worker #${worker.number} exited (${exit}) before the suite killed it`);
  return pause;
}

/** `pg_ctl restart -m immediate`: PostgreSQL crashes and recovers. */
export function restartDatabase(ctx: FaultContext): Promise<DatabaseFault> {
  return databaseFault(ctx, "restart in immediate mode", () => ctx.server.restartImmediate());
}

/** `pg_ctl stop -m fast`, `outageMs` without a database, `pg_ctl start`. */
export function databaseOutage(ctx: FaultContext, outageMs: number): Promise<DatabaseFault> {
  return databaseFault(ctx, "outage", async () => {
    await ctx.server.stop("fast");
    ctx.progress(`database stopped for ${outageMs / 1000} s`);
    await sleep(outageMs);
    await ctx.server.start();
  });
}

async function databaseFault(
  ctx: FaultContext,
  kind: DatabaseFault["kind"],
  fault: () => Promise<void>,
): Promise<DatabaseFault> {
  // Workers still starting would fail to start, which says nothing about riding out a fault.
  await ctx.fleet.ready(60_000);
  const before = ctx.fleet.serving();
  ctx.fleet.databaseDown();
  const downAt = Date.now();
  ctx.progress(`database ${kind} (${before.length} workers up)`);
  await fault();
  const upAt = Date.now();
  ctx.fleet.databaseUp();
  ctx.progress(`database back after ${((upAt - downAt) / 1000).toFixed(1)} s`);
  const resumed = await awaitHeartbeats(ctx, before, upAt);
  ctx.progress(`${resumed.length} of ${before.length} workers heartbeat again`);
  return { kind, downAt, upAt, before: before.map((w) => w.pid), resumed };
}

/** The workers of `before` that are still running and heartbeat after `since`. */
async function awaitHeartbeats(
  ctx: FaultContext,
  before: WorkerProcess[],
  since: number,
): Promise<{ pid: number; afterMs: number }[]> {
  const resumed = new Map<number, number>();
  const deadline = since + RESUME_WINDOW_MS;
  while (Date.now() < deadline) {
    const waiting = before.filter((w) => !w.exit && !resumed.has(w.pid));
    if (waiting.length === 0) break;
    const { rows } = await sql<{ pid: number; last_seen_at: Date }>`
      select pid, max(last_seen_at) as last_seen_at from workers
      where pid = any(${waiting.map((w) => w.pid)}::int[]) group by pid`
      .execute(ctx.db)
      .catch(() => ({ rows: [] }));
    for (const row of rows) {
      if (row.last_seen_at.getTime() > since) resumed.set(row.pid, Date.now() - since);
    }
    await sleep(250);
  }
  return before
    .filter((w) => resumed.has(w.pid) && !w.exit)
    .map((w) => ({ pid: w.pid, afterMs: resumed.get(w.pid) as number }));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
