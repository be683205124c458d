/**
 * Turns a task into a graphile-worker task function: it reads the job envelope, honours expiry
 * and shared limits, runs the task under its time limits with an AbortSignal, and records the
 * outcome in the ledger. It only throws to graphile-worker when an ending other than success
 * cannot be written (the job then stays and runs again): retries follow the task's own strategy
 * through `reschedule`, so graphile-worker's fixed backoff only applies to crash re-runs.
 */
import type { Task as GraphileTask, JobHelpers } from "graphile-worker";
import type { AttemptOutcome } from "../database/schema.ts";
import { PermanentError, SnoozeError, TimeLimitError } from "./errors.ts";
import type { Clock } from "./fleet/databaseClock.ts";
import { WorkerDeclaredDead } from "./fleet/declaredDead.ts";
import { AbortReason, JobAbort, JobContext, type JobContextShared } from "./jobContext.ts";
import { executionForCronJob, isJobEnvelope, type JobEnvelope } from "./jobSpec.ts";
import { defaultLanes } from "./lanes.ts";
import type { ExecutionRef } from "./ledger/executionEvents.ts";
import type { ErrorRecord } from "./ledger/ledgerWriter.ts";
import { type Reschedule, reschedule } from "./reschedule.ts";
import { decideRetry } from "./retryStrategies.ts";
import type { AnyTask } from "./types.ts";

export { AbortReason, JobAbort } from "./jobContext.ts";

/** Running jobs of this process by execution id, so a cancel request can reach them. */
export type RunningJobs = Map<number, JobAbort>;

export interface JobRunnerDependencies<Services = unknown> extends JobContextShared<Services> {
  workerId: string;
  running: RunningJobs;
  /** The database's clock: expiry and attempt starts are its times. */
  clock: Clock;
  /** Holds a job back while a shared limit is exhausted; returns the wait in ms, or 0 to go. */
  admit?: (task: AnyTask, payload: unknown, executionId: number) => Promise<number>;
  /** Gives back what `admit` took (e.g. a concurrency lease). */
  release?: (task: AnyTask, payload: unknown, executionId: number) => Promise<void>;
  onJobDone?: () => void;
  /** The ids of the jobs graphile-worker has handed this worker and it has not given back. */
  jobsInHand?: Set<string>;
  /**
   * Whether this worker may still end its jobs: false once it was declared dead, so it abandons
   * them instead (they run elsewhere). Asks the database only when the last heartbeat is stale.
   */
  stillOwnsJobs?: () => boolean | Promise<boolean>;
  /**
   * Jobs whose task overran its hard time limit, by execution id, with what lets their job go
   * once the worker has nothing else left to drain.
   */
  overruns?: Map<number, () => void>;
  /** A task ran past its hard time limit and did not stop: the worker must recycle. */
  onOverrun?: (reason: string) => void;
  /** How long a task past its hard time limit gets to settle before the worker recycles. */
  overrunGraceMs?: number;
}

/** What a task's jobs have in common, worked out once per task. */
interface TaskSettings {
  task: AnyTask;
  /** The task declares a rate limit or a concurrency lease. */
  limited: boolean;
}

type EndedOutcome = Exclude<AttemptOutcome, "succeeded">;

export function toGraphileTask<Services>(
  task: AnyTask,
  deps: JobRunnerDependencies<Services>,
): GraphileTask {
  const settings: TaskSettings = {
    task,
    limited: task.rateLimit !== undefined || task.concurrency !== undefined,
  };
  if (!deps.jobsInHand) return (raw, helpers) => runJob(settings, deps, raw, helpers);
  const inHand = deps.jobsInHand;
  return async (raw, helpers) => {
    inHand.add(helpers.job.id);
    try {
      return await runJob(settings, deps, raw, helpers);
    } finally {
      inHand.delete(helpers.job.id);
    }
  };
}

async function runJob<Services>(
  settings: TaskSettings,
  deps: JobRunnerDependencies<Services>,
  raw: unknown,
  helpers: JobHelpers,
): Promise<void> {
  const { task } = settings;
  const envelope = isJobEnvelope(raw)
    ? raw
    : await executionForCronJob(
        deps.db,
        task,
        { id: helpers.job.id, runAt: helpers.job.run_at, payload: raw },
        defaultLanes[task.lane].priority,
        deps.services,
      );
  const executionId = envelope.e;
  const execution: ExecutionRef = {
    id: executionId,
    publicId: envelope.u,
    task: task.name,
    lane: task.lane,
  };
  // graphile-worker counts a crash re-run as an attempt of the same job.
  const attempt = envelope.a + helpers.job.attempts - 1;
  const maxAttempts = envelope.m ?? task.maxAttempts;

  if (envelope.x !== undefined && deps.clock.now() > envelope.x) {
    await deps.ledger.finishedNow({
      execution,
      status: "expired",
      attempt: attempt - 1,
      startedAt: new Date(deps.clock.now()),
      outcome: null,
    });
    return;
  }
  const wait = settings.limited ? ((await deps.admit?.(task, envelope.p, executionId)) ?? 0) : 0;
  if (wait > 0) {
    await requeue(deps, task, envelope, {
      delayMs: wait,
      endedAttempt: null,
      attemptsSpent: attempt - 1,
      nextAttempt: attempt - (helpers.job.attempts - 1),
      maxAttempts,
    });
    return;
  }

  const startedAt = new Date(deps.clock.now());
  const abort = new JobAbort();
  watchShutdown(helpers.abortSignal, deps.running);
  deps.running.set(executionId, abort);
  deps.ledger.started(execution, attempt, startedAt);
  const ctx = new JobContext(deps, abort, execution, attempt, maxAttempts);

  let running: Promise<unknown> | undefined;
  let abandoned = false;
  let overran = false;
  try {
    const payload = task.payload.parse(envelope.p);
    running = task.run(payload, ctx);
    const result = await withTimeLimits(running, abort, task);
    const owned = stillOwns(deps, abort);
    if (owned !== true && !(await owned)) throw new WorkerDeclaredDead(deps.workerId);
    if (abort.cancelled) throw abort.reason;
    deps.ledger.succeeded({
      execution,
      attempt,
      startedAt,
      firstTry: envelope.h === undefined && helpers.job.attempts === 1,
      result,
    });
  } catch (error) {
    if (error instanceof WorkerDeclaredDead || !(await stillOwns(deps, abort))) {
      abandoned = true;
      throw error instanceof WorkerDeclaredDead ? error : new WorkerDeclaredDead(deps.workerId);
    }
    if (error instanceof TimeLimitError && running && !(await settlesWithin(running, deps))) {
      // The code is still running: its retry must not start while it does. The attempt is
      // recorded, the job stays with this worker, and the worker recycles: its exit ends the
      // code, and crash recovery then runs the job again.
      await deps.ledger.attemptEnded({
        execution,
        attempt,
        startedAt,
        outcome: "timed_out",
        error: errorRecord(error),
      });
      deps.onOverrun?.(`task ${task.name} (execution ${envelope.u}) overran its hard time limit`);
      overran = true;
      // Holds the job, and its place in the lane, while the worker drains; once the drain is
      // down to overrunning jobs (or its grace ran out), graphile-worker puts the job back with
      // a backoff of its own, and the host exits (`onRecycled`) before that backoff ends.
      return new Promise<never>((_, reject) => {
        const release = () => reject(error);
        deps.overruns?.set(executionId, release);
        if (helpers.abortSignal?.aborted) release();
        else helpers.abortSignal?.addEventListener("abort", release, { once: true });
      });
    }
    const record = errorRecord(error);
    const ended = (outcome: EndedOutcome) => ({
      attempt,
      workerId: deps.workerId,
      startedAt,
      outcome,
      error: record,
    });
    if (abort.cancelled) {
      await deps.ledger.finishedNow({
        execution,
        status: "cancelled",
        ...ended("cancelled"),
      });
    } else if (abort.reason?.kind === "shutdown") {
      // Stopped by shutdown: the attempt is not spent, so the next one, numbered after it,
      // gets one more.
      await requeue(deps, task, envelope, {
        delayMs: 0,
        endedAttempt: ended("abandoned"),
        attemptsSpent: attempt,
        nextAttempt: attempt + 1,
        maxAttempts: maxAttempts + 1,
      });
    } else if (error instanceof SnoozeError) {
      await requeue(deps, task, envelope, {
        delayMs: error.delayMs,
        endedAttempt: ended("snoozed"),
        attemptsSpent: attempt - 1,
        nextAttempt: attempt,
        maxAttempts,
      });
    } else {
      const decision =
        error instanceof PermanentError
          ? { retry: false as const }
          : decideRetry(task.retry, error, attempt, maxAttempts);
      const outcome = error instanceof TimeLimitError ? "timed_out" : "failed";
      if (decision.retry) {
        await requeue(deps, task, envelope, {
          delayMs: decision.delayMs,
          endedAttempt: ended(outcome),
          attemptsSpent: attempt,
          nextAttempt: attempt + 1,
          maxAttempts,
        });
      } else {
        await deps.ledger.finishedNow({ execution, status: "dead", ...ended(outcome) });
      }
      ctx.logger.warn({ err: error, retry: decision }, "task failed");
    }
  } finally {
    if (!overran) deps.running.delete(executionId);
    // An abandoned job's limits belong to the worker that runs it now.
    if (!overran && !abandoned) {
      if (settings.limited) await deps.release?.(task, envelope.p, executionId);
      deps.onJobDone?.();
    }
  }
}

/**
 * Settles with the task's own outcome, unless the hard limit comes first. One timer at a time:
 * the soft limit aborts the signal, then the hard limit fails the attempt.
 */
function withTimeLimits<T>(
  running: Promise<T>,
  abort: JobAbort,
  limits: { softTimeLimitMs: number; hardTimeLimitMs: number },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer = setTimeout(() => {
      abort.abort(new AbortReason("soft_time_limit"));
      timer = setTimeout(
        () =>
          reject(new TimeLimitError(`hard time limit of ${limits.hardTimeLimitMs} ms exceeded`)),
        limits.hardTimeLimitMs - limits.softTimeLimitMs,
      );
    }, limits.softTimeLimitMs);
    running.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Whether the worker may still end this job (see `JobRunnerDependencies.stillOwnsJobs`). */
function stillOwns(
  deps: JobRunnerDependencies<unknown>,
  abort: JobAbort,
): boolean | Promise<boolean> {
  if (abort.reason?.kind === "abandoned") return false;
  return deps.stillOwnsJobs ? deps.stillOwnsJobs() : true;
}

/** Whether a task past its hard limit settles within the grace it gets. */
function settlesWithin(running: Promise<unknown>, deps: JobRunnerDependencies<unknown>) {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), deps.overrunGraceMs ?? 1_000);
    running.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

interface Requeue {
  delayMs: number;
  /** The attempt that just ended, if one ran. */
  endedAttempt: Reschedule["endedAttempt"];
  /** Attempts spent so far. */
  attemptsSpent: number;
  /** The attempt the new job starts at. */
  nextAttempt: number;
  maxAttempts: number;
}

/**
 * Puts the execution back in line (retry, snooze, a shared limit's wait, shutdown), after
 * taking back what the ledger writer holds for it, so no buffered write overtakes this one.
 */
async function requeue(
  shared: JobRunnerDependencies<unknown>,
  task: AnyTask,
  envelope: JobEnvelope,
  r: Requeue,
): Promise<void> {
  await shared.ledger.take(envelope.e);
  const applied = await reschedule(shared.db, {
    executionId: envelope.e,
    workerId: shared.workerId,
    taskName: task.name,
    lane: task.lane,
    envelope: {
      ...envelope,
      a: r.nextAttempt,
      ...(r.endedAttempt ? { h: 1 as const } : {}),
      ...(r.maxAttempts !== (envelope.m ?? task.maxAttempts) ? { m: r.maxAttempts } : {}),
    },
    maxJobAttempts: Math.max(1, r.maxAttempts - r.nextAttempt + 1),
    delayMs: r.delayMs,
    endedAttempt: r.endedAttempt,
    attemptsSpent: r.attemptsSpent,
  });
  if (!applied) throw new WorkerDeclaredDead(shared.workerId);
}

const watchedSignals = new WeakSet<AbortSignal>();

/**
 * graphile-worker aborts one signal for all of a runner's jobs when its shutdown grace runs out;
 * one listener per signal passes that on to every running job of this process.
 */
function watchShutdown(signal: AbortSignal, running: RunningJobs) {
  if (watchedSignals.has(signal)) return;
  watchedSignals.add(signal);
  signal.addEventListener(
    "abort",
    () => {
      for (const controller of running.values()) controller.abort(new AbortReason("shutdown"));
    },
    { once: true },
  );
}

export function errorRecord(error: unknown): ErrorRecord {
  if (error instanceof Error) {
    return {
      class: error.name || error.constructor.name,
      message: error.message,
      stack: error.stack ?? null,
    };
  }
  return { class: typeof error, message: String(error), stack: null };
}
