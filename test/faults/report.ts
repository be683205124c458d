/**
 * What the fault suite found, read from the database once the run has settled, and the checks
 * that decide its exit code. See README ("The fault suite") for what each figure means.
 */
import { sql } from "kysely";
import { percentile } from "../../bench/stats.ts";
import type { Db } from "../../src/database/pool.ts";
import { liveStatuses, statusList } from "../../src/engine/executionStatus.ts";
import { defaultLanes } from "../../src/engine/lanes.ts";
import { orphanIds } from "../support/invariants.ts";
import type { DatabaseFault, Kill, Pause } from "./faults.ts";
import { hungTask, hungTimeLimits, poisonTask, recordedDebugTask } from "./faultTasks.ts";
import type { Fleet } from "./fleet.ts";

/** Longest a killed worker's jobs may wait before they start again elsewhere. */
export const RECOVERY_TARGET_MS = 5_000;

export interface RunFacts {
  fleet: Fleet;
  enqueued: string[];
  partialBatches: number;
  kills: Kill[];
  pause?: Pause;
  databaseFaults: DatabaseFault[];
  poisonId: string;
  hungId: string;
  /** When the suite started: times in the details are seconds since then. */
  startedAt: number;
  /** When the run stopped waiting for executions to end. */
  endedAt: number;
}

interface FaultRun {
  executionId: string;
  taskName: string;
  attempt: number;
  pid: number;
  startedAt: number;
  finishedAt: number | null;
  aliveAt: number | null;
}

export interface LiveExecution {
  publicId: string;
  taskName: string;
  status: string;
  /** The worker that last started it. */
  workerId: string | null;
  attempts: number;
  maxAttempts: number;
  hasJob: boolean;
  locked: boolean;
  jobAttempts: number | null;
  jobMaxAttempts: number | null;
}

export interface KillRecovery {
  kill: Kill;
  /** Executions whose run the kill cut short. */
  held: number;
  /** Per held execution, ms from the kill to its next start; null: it never started again. */
  restartsMs: (number | null)[];
}

export interface Death {
  number: number;
  pid: number;
  exit: string;
  /** What its last words say it died of. */
  reason: string;
}

export interface Findings {
  executions: number;
  enqueued: number;
  partialBatches: number;
  lostNoExecution: string[];
  lostJobVanished: number[];
  orphanJobs: number[];
  live: LiveExecution[];
  /** Executions that ended more than once: their endings and their runs, in order. */
  endedTwice: { publicId: string; endings: string; runs: string }[];
  attemptNumberedTwice: number;
  ranMoreThanOnce: number;
  ranAtTheSameTime: number;
  recoveries: KillRecovery[];
  processesStarted: number;
  exits: Record<string, number>;
  deaths: Death[];
  databaseFaults: DatabaseFault[];
  pause?: Pause & {
    declaredDead: boolean;
    runsStartedAfterResume: number;
    /** How the paused process ended. */
    fate: string;
  };
  poison: {
    status: string;
    errorClass: string | null;
    attempts: number;
    maxAttempts: number;
    processesKilled: number;
  };
  hung: {
    status: string;
    errorClass: string | null;
    attempts: number;
    runs: number;
    /** Longest its code was seen running past the hard time limit, ms. */
    overranMs: number;
    /** A later attempt started while an earlier one's code still ran. */
    overlapped: boolean;
  };
  mostRunsAtOnce: number;
  laneConcurrency: number;
}

export async function gatherFindings(db: Db, facts: RunFacts): Promise<Findings> {
  const runs = await faultRuns(db);
  const processEnd = new Map<number, number>(
    facts.fleet.processes.map((p) => [p.pid, p.exit?.at ?? facts.endedAt]),
  );
  const runEnd = (run: FaultRun) =>
    run.finishedAt ??
    (run.taskName === hungTask.name ? (run.aliveAt ?? run.startedAt) : undefined) ??
    (processEnd.get(run.pid) as number);

  const [{ count: executions }] = (
    await sql<{ count: number }>`select count(*)::int as count from executions`.execute(db)
  ).rows as [{ count: number }];
  const { rows: missing } = await sql<{ id: string }>`
    select id from unnest(${facts.enqueued}::uuid[]) as enqueued(id)
    where not exists (select 1 from executions e where e.public_id = enqueued.id)`.execute(db);
  const orphans = await orphanIds(db);
  const poisonPids = new Set(runs.filter((r) => r.taskName === poisonTask.name).map((r) => r.pid));
  const exits: Record<string, number> = {};
  const deaths: Death[] = [];
  const fates = new Map<number, string>();
  for (const worker of facts.fleet.processes) {
    if (!worker.exit) continue;
    const kind = facts.fleet.exitKind(worker, poisonPids);
    fates.set(worker.pid, kind ?? `died, ${worker.exit.signal ?? `code ${worker.exit.code}`}`);
    if (kind) {
      exits[kind] = (exits[kind] ?? 0) + 1;
      continue;
    }
    deaths.push({
      number: worker.number,
      pid: worker.pid,
      exit: worker.exit.signal ?? `code ${worker.exit.code}`,
      reason: deathReason(worker.tail),
    });
  }

  return {
    executions,
    enqueued: facts.enqueued.length,
    partialBatches: facts.partialBatches,
    lostNoExecution: missing.map((row) => row.id),
    lostJobVanished: orphans.executionsWithoutJob,
    orphanJobs: orphans.jobsWithoutExecution,
    live: await liveExecutions(db),
    endedTwice: (await endedTwice(db)).map((ended) => ({
      ...ended,
      runs: describeRuns(
        runs.filter((run) => run.executionId === ended.publicId),
        facts.startedAt,
        fates,
      ),
    })),
    attemptNumberedTwice: await attemptNumberedTwice(db),
    ...runRepeats(runs, runEnd),
    recoveries: facts.kills.map((kill) => recovery(kill, runs)),
    processesStarted: facts.fleet.processes.length,
    exits,
    deaths,
    databaseFaults: facts.databaseFaults,
    ...(facts.pause
      ? {
          pause: {
            ...(await pauseOutcome(db, facts.pause, runs)),
            fate: fates.get(facts.pause.pid) ?? "running",
          },
        }
      : {}),
    poison: { ...(await outcome(db, facts.poisonId)), processesKilled: poisonPids.size },
    hung: await hungOutcome(db, facts.hungId, runs),
    mostRunsAtOnce: mostRunsAtOnce(runs, runEnd),
    laneConcurrency: defaultLanes[recordedDebugTask.lane].concurrency,
  };
}

/** The checks the suite passes or fails on: one line per failed check. */
export function failedChecks(f: Findings): string[] {
  const failed: string[] = [];
  const lost = f.lostNoExecution.length + f.lostJobVanished.length;
  if (lost > 0) failed.push(`lost: ${lost} executions`);
  const stuck = f.live.filter((e) => e.hasJob).length;
  if (stuck > 0) failed.push(`stuck: ${stuck} executions not ended`);
  if (f.endedTwice.length > 0) failed.push(`ended twice: ${f.endedTwice.length} executions`);
  if (f.orphanJobs.length > 0) failed.push(`jobs without a live execution: ${f.orphanJobs.length}`);
  if (f.deaths.length > 0) {
    failed.push(`worker processes that died of something other than a kill: ${f.deaths.length}`);
  }
  for (const fault of f.databaseFaults) {
    if (fault.resumed.length < fault.before.length) {
      failed.push(
        `database ${fault.kind}: ${fault.resumed.length} of ${fault.before.length} workers alive after it came back`,
      );
    }
  }
  const measured = f.recoveries.filter((r) => r.held > 0);
  if (measured.length === 0) failed.push("recovery: no kill hit a worker in the middle of a job");
  const worst = maxRecovery(f.recoveries);
  if (worst > RECOVERY_TARGET_MS) {
    failed.push(
      `recovery max ${formatMs(worst)} > ${RECOVERY_TARGET_MS / 1000} s (target: a killed worker's jobs start again elsewhere within ${RECOVERY_TARGET_MS / 1000} s)`,
    );
  }
  if (f.poison.status !== "dead" || f.poison.errorClass !== "WorkerLost") {
    failed.push(
      `poison job: ${f.poison.status} (${f.poison.errorClass ?? "no error class"}), not dead with WorkerLost`,
    );
  }
  return failed;
}

/** Per kill, ms until the last of its cut-short executions started again (Infinity: never). */
export function killRecoveryMs(r: KillRecovery): number {
  return Math.max(...r.restartsMs.map((ms) => ms ?? Number.POSITIVE_INFINITY));
}

export function maxRecovery(recoveries: KillRecovery[]): number {
  const measured = recoveries.filter((r) => r.held > 0).map(killRecoveryMs);
  return measured.length > 0 ? Math.max(...measured) : Number.NaN;
}

export function medianRecovery(recoveries: KillRecovery[]): number {
  return percentile(recoveries.filter((r) => r.held > 0).map(killRecoveryMs), 50);
}

export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return "n/a";
  if (!Number.isFinite(ms)) return "never";
  return `${(ms / 1000).toFixed(2)} s`;
}

async function faultRuns(db: Db): Promise<FaultRun[]> {
  const { rows } = await sql<{
    execution_id: string;
    task_name: string;
    attempt: number;
    pid: number;
    started_at: Date;
    finished_at: Date | null;
    alive_at: Date | null;
  }>`
    select execution_id, task_name, attempt, pid, started_at, finished_at, alive_at
    from fault_runs order by started_at, id`.execute(db);
  return rows.map((row) => ({
    executionId: row.execution_id,
    taskName: row.task_name,
    attempt: row.attempt,
    pid: row.pid,
    startedAt: row.started_at.getTime(),
    finishedAt: row.finished_at?.getTime() ?? null,
    aliveAt: row.alive_at?.getTime() ?? null,
  }));
}

async function liveExecutions(db: Db): Promise<LiveExecution[]> {
  const { rows } = await sql<{
    public_id: string;
    task_name: string;
    status: string;
    worker_id: string | null;
    attempts: number;
    max_attempts: number;
    has_job: boolean;
    locked: boolean;
    job_attempts: number | null;
    job_max_attempts: number | null;
  }>`
    select e.public_id, e.task_name, e.status, e.worker_id, e.attempts, e.max_attempts,
           j.id is not null as has_job, j.locked_by is not null as locked,
           j.attempts as job_attempts, j.max_attempts as job_max_attempts
    from executions e
    left join graphile_worker._private_jobs j on j.id = e.job_id
    where e.status in (${statusList(liveStatuses)})
    order by e.id`.execute(db);
  return rows.map((row) => ({
    publicId: row.public_id,
    taskName: row.task_name,
    status: row.status,
    workerId: row.worker_id,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    hasJob: row.has_job,
    locked: row.locked,
    jobAttempts: row.job_attempts,
    jobMaxAttempts: row.job_max_attempts,
  }));
}

/** `attempt 1 in pid 12 (killed) 10.2–10.5 s`, for each run. */
function describeRuns(runs: FaultRun[], since: number, fates: Map<number, string>): string {
  const at = (ms: number | null) => (ms === null ? "…" : ((ms - since) / 1000).toFixed(1));
  return runs
    .map(
      (run) =>
        `attempt ${run.attempt} in pid ${run.pid} (${fates.get(run.pid) ?? "running"}) ${at(run.startedAt)}–${at(run.finishedAt)} s`,
    )
    .join("; ");
}

async function endedTwice(db: Db): Promise<{ publicId: string; endings: string }[]> {
  const { rows } = await sql<{ public_id: string; endings: string }>`
    select e.public_id,
           string_agg(f.previous_status || '→' || f.status || case
                        when f.rewrote is null then ' (attempt ' || f.attempts || ', worker '
                                                    || coalesce(f.worker_id, '-') || ')'
                        else ' (' || array_to_string(f.rewrote, ', ') || ' rewritten)' end,
                      ', ' order by f.at) as endings
    from fault_endings f join executions e on e.id = f.execution_id
    group by e.public_id
    having count(*) > 1 or bool_or(f.rewrote is not null)
    order by e.public_id`.execute(db);
  return rows.map((row) => ({ publicId: row.public_id, endings: row.endings }));
}

async function attemptNumberedTwice(db: Db): Promise<number> {
  const { rows } = await sql<{ count: number }>`
    select count(distinct execution_id)::int as count from (
      select execution_id from execution_attempts
      group by execution_id, attempt having count(*) > 1) twice`.execute(db);
  return rows[0]?.count ?? 0;
}

/**
 * Executions of `debug_task` that ran more than once, and those whose runs overlapped: a run
 * started while an earlier one was still going (its code had neither finished nor been killed).
 */
function runRepeats(
  runs: FaultRun[],
  runEnd: (run: FaultRun) => number,
): { ranMoreThanOnce: number; ranAtTheSameTime: number } {
  let ranMoreThanOnce = 0;
  let ranAtTheSameTime = 0;
  for (const executionRuns of byExecution(runs, recordedDebugTask.name).values()) {
    if (executionRuns.length < 2) continue;
    ranMoreThanOnce++;
    let busyUntil = Number.NEGATIVE_INFINITY;
    let overlapped = false;
    for (const run of executionRuns) {
      if (run.startedAt < busyUntil) overlapped = true;
      busyUntil = Math.max(busyUntil, runEnd(run));
    }
    if (overlapped) ranAtTheSameTime++;
  }
  return { ranMoreThanOnce, ranAtTheSameTime };
}

function byExecution(runs: FaultRun[], taskName: string): Map<string, FaultRun[]> {
  const grouped = new Map<string, FaultRun[]>();
  for (const run of runs) {
    if (run.taskName !== taskName) continue;
    const list = grouped.get(run.executionId) ?? [];
    list.push(run);
    grouped.set(run.executionId, list);
  }
  return grouped;
}

/**
 * For one kill: the `debug_task` runs the killed process had started and not finished, and for
 * each, how long until its execution started again (in another process).
 */
function recovery(kill: Kill, runs: FaultRun[]): KillRecovery {
  const held = runs.filter(
    (run) =>
      run.pid === kill.pid &&
      run.taskName === recordedDebugTask.name &&
      run.startedAt <= kill.at &&
      (run.finishedAt === null || run.finishedAt > kill.at),
  );
  const restartsMs = held.map((cut) => {
    const next = runs.find((run) => run.executionId === cut.executionId && run.startedAt > kill.at);
    return next ? next.startedAt - kill.at : null;
  });
  return { kill, held: held.length, restartsMs };
}

async function outcome(db: Db, publicId: string) {
  const { rows } = await sql<{
    status: string;
    error_class: string | null;
    attempts: number;
    max_attempts: number;
  }>`
    select status, error_class, attempts, max_attempts from executions
    where public_id = ${publicId}`.execute(db);
  const row = rows[0];
  return {
    status: row?.status ?? "missing",
    errorClass: row?.error_class ?? null,
    attempts: row?.attempts ?? 0,
    maxAttempts: row?.max_attempts ?? 0,
  };
}

async function hungOutcome(db: Db, publicId: string, runs: FaultRun[]): Promise<Findings["hung"]> {
  const { status, errorClass, attempts } = await outcome(db, publicId);
  const hungRuns = runs.filter((run) => run.executionId === publicId);
  let overranMs = 0;
  let overlapped = false;
  hungRuns.forEach((run, i) => {
    const lastSeen = run.aliveAt ?? run.startedAt;
    overranMs = Math.max(overranMs, lastSeen - (run.startedAt + hungTimeLimits.hardTimeLimitMs));
    if (hungRuns.slice(i + 1).some((later) => later.startedAt < lastSeen)) overlapped = true;
  });
  return { status, errorClass, attempts, runs: hungRuns.length, overranMs, overlapped };
}

async function pauseOutcome(
  db: Db,
  pause: Pause,
  runs: FaultRun[],
): Promise<Omit<NonNullable<Findings["pause"]>, "fate">> {
  const { rows } = await sql<{ declared_dead: boolean }>`
    select bool_or(stopped_at is not null and stopped_at < ${new Date(pause.continuedAt)})
             as declared_dead
    from workers where pid = ${pause.pid}`.execute(db);
  return {
    ...pause,
    declaredDead: rows[0]?.declared_dead ?? false,
    runsStartedAfterResume: runs.filter(
      (run) => run.pid === pause.pid && run.startedAt > pause.continuedAt,
    ).length,
  };
}

/** The most task runs one process had going at once (all the suite's tasks share one lane). */
function mostRunsAtOnce(runs: FaultRun[], runEnd: (run: FaultRun) => number): number {
  const edges = new Map<number, { at: number; step: number }[]>();
  for (const run of runs) {
    const list = edges.get(run.pid) ?? [];
    list.push({ at: run.startedAt, step: 1 }, { at: runEnd(run), step: -1 });
    edges.set(run.pid, list);
  }
  let most = 0;
  for (const list of edges.values()) {
    list.sort((a, b) => a.at - b.at || a.step - b.step);
    let running = 0;
    for (const edge of list) {
      running += edge.step;
      most = Math.max(most, running);
    }
  }
  return most;
}

/**
 * What a process's last words say it died of: the last error of a stack trace on stderr (with
 * the function it came from), else the last error it logged, else its last line.
 */
function deathReason(tail: string[]): string {
  const errorAt = tail.findLastIndex((line) => /^\w*error\b.*:/i.test(line));
  if (errorAt >= 0) {
    const origin = tail
      .slice(errorAt + 1)
      .map((line) => /^\s+at (?:async )?([\w.]+) \(/.exec(line)?.[1])
      .findLast(Boolean);
    return `${(tail[errorAt] as string).trim()}${origin ? ` (in ${origin})` : ""}`;
  }
  const logged = tail.findLast((line) => /"level":"(error|fatal)"/.test(line));
  if (logged) {
    const parsed = JSON.parse(logged) as { msg?: string; err?: { message?: string } };
    return [parsed.msg, parsed.err?.message].filter(Boolean).join(": ");
  }
  return (tail.at(-1) ?? "").trim().slice(0, 300);
}
