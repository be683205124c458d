/**
 * Turns a task into a graphile-worker task function: it reads the job envelope, honours expiry
 * and shared limits, runs the task under its time limits with an AbortSignal, and records the
 * outcome in the ledger. It never throws to graphile-worker: retries follow the task's own
 * strategy through `reschedule`, so graphile-worker's fixed backoff only applies to crash re-runs.
 */
import type { Task as GraphileTask, JobHelpers } from "graphile-worker";
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Logger } from "../observability/logger.ts";
import type { Services } from "../services.ts";
import { enqueue, type JobEnvelope } from "./enqueue.ts";
import { PermanentError, SnoozeError, TimeLimitError } from "./errors.ts";
import { defaultLanes } from "./lanes.ts";
import type { ErrorRecord, LedgerWriter } from "./ledger/ledgerWriter.ts";
import { reschedule } from "./reschedule.ts";
import { decideRetry } from "./retryStrategies.ts";
import { type AnyTask, type TaskContext, taskDefaults } from "./task.ts";

/** Why a running job's signal aborted. */
export type AbortCause = "cancelled" | "soft_time_limit" | "shutdown";

export class AbortReason extends Error {
  constructor(readonly kind: AbortCause) {
    super(kind);
    this.name = "AbortReason";
  }
}

/**
 * How a running job is stopped. The AbortController behind `signal` is only made if the task
 * reads its signal (most short tasks never do); a reason given before that still applies.
 */
export class JobAbort {
  #controller: AbortController | undefined;
  reason: AbortReason | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.reason) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.#controller?.abort(reason);
  }
}

/** Running jobs of this process by execution id, so a cancel request can reach them. */
export type RunningJobs = Map<number, JobAbort>;

export interface JobRunnerDependencies {
  db: Db;
  ledger: LedgerWriter;
  workerId: string;
  logger: Logger;
  running: RunningJobs;
  /** Holds a job back while a shared limit is exhausted; returns the wait in ms, or 0 to go. */
  admit?: (task: AnyTask, payload: unknown, executionId: number) => Promise<number>;
  /** Gives back what `admit` took (e.g. a concurrency lease). */
  release?: (task: AnyTask, payload: unknown, executionId: number) => Promise<void>;
  onJobDone?: () => void;
  services?: Services;
}

interface CronPayload {
  _cron?: unknown;
}

export function toGraphileTask(task: AnyTask, deps: JobRunnerDependencies): GraphileTask {
  const maxAttemptsDefault = task.maxAttempts ?? taskDefaults.maxAttempts;
  const priority = defaultLanes[task.lane].priority;
  return async (raw, helpers) => {
    const envelope = isEnvelope(raw)
      ? raw
      : await createCronExecution(deps.db, task, raw as CronPayload, helpers, maxAttemptsDefault);
    const executionId = envelope.e;
    // graphile-worker counts a crash re-run as an attempt of the same job.
    const attempt = envelope.a + helpers.job.attempts - 1;
    const maxAttempts = envelope.m ?? maxAttemptsDefault;
    const later = (
      delayMs: number,
      ended: Parameters<typeof reschedule>[1]["endedAttempt"],
      spent: number,
      nextAttempt: number,
    ) =>
      reschedule(deps.db, {
        executionId,
        taskName: task.name,
        lane: task.lane,
        priority,
        envelope: { ...envelope, a: nextAttempt, ...(ended ? { h: 1 as const } : {}) },
        maxJobAttempts: Math.max(1, maxAttempts - nextAttempt + 1),
        delayMs,
        endedAttempt: ended,
        attemptsSpent: spent,
      });

    if (envelope.x !== undefined && Date.now() > envelope.x) {
      deps.ledger.finished({
        id: executionId,
        status: "expired",
        attempt: attempt - 1,
        workerId: deps.workerId,
        startedAt: new Date(),
        outcome: null,
      });
      return;
    }
    const limited = task.rateLimit !== undefined || task.concurrency !== undefined;
    const wait = limited ? ((await deps.admit?.(task, envelope.p, executionId)) ?? 0) : 0;
    if (wait > 0) {
      await deps.ledger.take(executionId);
      await later(wait, null, attempt - 1, attempt - (helpers.job.attempts - 1));
      return;
    }

    const startedAt = new Date();
    const controller = new JobAbort();
    watchShutdown(helpers.abortSignal, deps.running);
    deps.running.set(executionId, controller);
    deps.ledger.started(executionId, attempt, deps.workerId, startedAt);
    let logger: Logger | undefined;
    const ctx: TaskContext = {
      // Most jobs never log: the child logger is made on first use.
      get logger() {
        logger ??= deps.logger.child({ task: task.name, executionId: envelope.u, attempt });
        return logger;
      },
      db: deps.db,
      get services(): Services {
        if (!deps.services) throw new Error("this worker was started without services");
        return deps.services;
      },
      signal: controller.signal,
      attempt,
      executionId: envelope.u,
      progress: (percent, message) => deps.ledger.progress(executionId, percent, message ?? null),
      enqueue: async (child, payload, options = {}) =>
        enqueue(deps.db, child, payload, {
          ...options,
          parentId: options.parentId ?? envelope.u,
        }),
    };
    const limits = {
      softMs: task.softTimeLimitMs ?? taskDefaults.softTimeLimitMs,
      hardMs: task.hardTimeLimitMs ?? taskDefaults.hardTimeLimitMs,
    };
    let timer: NodeJS.Timeout | undefined;

    try {
      const payload = task.payload.parse(envelope.p);
      const result = await new Promise((resolve, reject) => {
        // One timer at a time: the soft limit aborts the signal, then the hard limit fails it.
        timer = setTimeout(() => {
          controller.abort(new AbortReason("soft_time_limit"));
          timer = setTimeout(
            () => reject(new TimeLimitError(`hard time limit of ${limits.hardMs} ms exceeded`)),
            limits.hardMs - limits.softMs,
          );
        }, limits.softMs);
        task.run(payload, ctx).then(resolve, reject);
      });
      if (cancelRequested(controller)) throw controller.reason;
      deps.ledger.finished({
        id: executionId,
        status: "succeeded",
        attempt,
        workerId: deps.workerId,
        startedAt,
        outcome: "succeeded",
        firstTry: envelope.h === undefined && helpers.job.attempts === 1,
        result,
      });
    } catch (error) {
      const record = errorRecord(error);
      const ended = (outcome: "failed" | "snoozed" | "timed_out" | "cancelled" | "abandoned") => ({
        attempt,
        workerId: deps.workerId,
        startedAt,
        outcome,
        error: record,
      });
      if (cancelRequested(controller)) {
        deps.ledger.finished({
          ...endedFields(executionId, attempt, deps.workerId, startedAt),
          status: "cancelled",
          outcome: "cancelled",
          error: record,
        });
      } else if (controller.reason?.kind === "shutdown") {
        await deps.ledger.take(executionId);
        // Stopped by shutdown: the attempt is not spent.
        await later(0, ended("abandoned"), attempt - 1, attempt);
      } else if (error instanceof SnoozeError) {
        await deps.ledger.take(executionId);
        await later(error.delayMs, ended("snoozed"), attempt - 1, attempt);
      } else {
        const decision =
          error instanceof PermanentError
            ? { retry: false as const }
            : decideRetry(task.retry ?? taskDefaults.retry, error, attempt, maxAttempts);
        const outcome = error instanceof TimeLimitError ? "timed_out" : "failed";
        if (decision.retry) {
          await deps.ledger.take(executionId);
          await later(decision.delayMs, ended(outcome), attempt, attempt + 1);
        } else {
          deps.ledger.finished({
            ...endedFields(executionId, attempt, deps.workerId, startedAt),
            status: "dead",
            outcome,
            error: record,
          });
        }
        ctx.logger.warn({ err: error, retry: decision }, "task failed");
      }
    } finally {
      clearTimeout(timer);
      deps.running.delete(executionId);
      if (limited) await deps.release?.(task, envelope.p, executionId);
      deps.onJobDone?.();
    }
  };
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

function endedFields(id: number, attempt: number, workerId: string, startedAt: Date) {
  return { id, attempt, workerId, startedAt };
}

function cancelRequested(controller: JobAbort): boolean {
  const reason = controller.reason;
  return reason instanceof AbortReason && reason.kind === "cancelled";
}

function isEnvelope(raw: unknown): raw is JobEnvelope {
  return typeof raw === "object" && raw !== null && "e" in raw && "a" in raw;
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

/** Jobs added by the crontab carry no execution; they get one when they start. */
async function createCronExecution(
  db: Db,
  task: AnyTask,
  raw: CronPayload,
  helpers: JobHelpers,
  maxAttempts: number,
): Promise<JobEnvelope> {
  // graphile-worker adds `_cron` (the scheduled time) to the crontab line's payload.
  const { _cron, ...payload } = raw ?? {};
  const row = await sql<{ id: number; public_id: string }>`
    insert into executions (task_name, lane, status, payload, job_id, priority, max_attempts, run_at, correlation_id)
    values (${task.name}, ${task.lane}, 'queued', ${JSON.stringify(payload)}::jsonb, ${helpers.job.id},
            ${defaultLanes[task.lane].priority}, ${maxAttempts}, ${helpers.job.run_at}, 'crontab')
    returning id, public_id`.execute(db);
  const created = row.rows[0] as { id: number; public_id: string };
  return { e: created.id, u: created.public_id, a: 1, p: payload, m: maxAttempts };
}
