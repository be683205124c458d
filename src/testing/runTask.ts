/**
 * Runs one attempt of a task inline, in this process, with the engine's own `TaskContext`: the
 * execution is enqueued for real (so the payload is validated exactly as enqueue does), its job
 * is taken back before anything else can see it, and the attempt runs here, writing its start,
 * progress and ending through a `LedgerWriter`. `ctx.enqueue` creates real child executions
 * with real jobs, which a worker in the same test runs.
 *
 * It is one attempt and nothing else of the job runner: no retry, snooze or time limit, no
 * shared limit, no cancel. A task that throws ends its execution `dead` with its error, and
 * `runTask` rejects with that error as the task threw it.
 */
import type { z } from "zod";
import type { Db } from "../database/pool.ts";
import type { Execution } from "../database/schema.ts";
import { enqueue } from "../engine/enqueue.ts";
import { DatabaseClock } from "../engine/fleet/databaseClock.ts";
import { JobAbort, JobContext, type JobContextShared } from "../engine/jobContext.ts";
import { errorRecord } from "../engine/jobRunner.ts";
import { type JobEnvelope, jobTakeBack } from "../engine/jobSpec.ts";
import type { ExecutionRef } from "../engine/ledger/executionEvents.ts";
import { LedgerWriter } from "../engine/ledger/ledgerWriter.ts";
import type { Task } from "../engine/types.ts";
import { executionGetRowByPublicId } from "../executions/queries.ts";
import { createLogger, type Logger } from "../observability/logger.ts";

export interface RunTaskOptions<Services> {
  /** What `ctx.services` returns; without it, reading `ctx.services` throws as in a worker. */
  services?: Services;
  /** Default: a silent logger. */
  logger?: Logger;
  /** The execution's max attempts, as the enqueue option; `ctx.attempt` is always 1. */
  maxAttempts?: number;
}

export interface RunTaskResult<Result> {
  /** What the task returned. */
  result: Result;
  /** The execution as the ledger holds it once the attempt ended (`succeeded`). */
  execution: Execution;
}

/** The worker id the ledger records for an attempt run by `runTask`. */
export const RUN_TASK_WORKER_ID = "switchboard/testing";

/**
 * @example
 * const { result, execution } = await runTask(db, debugTask, { sleep_ms: 20 });
 * expect(execution.status).toBe("succeeded");
 */
export async function runTask<Schema extends z.ZodType, Result, Services>(
  db: Db,
  task: Task<Schema, Result, Services>,
  payload: z.input<Schema>,
  options: RunTaskOptions<Services> = {},
): Promise<RunTaskResult<Result>> {
  const envelope = await enqueueWithoutJob(db, task, payload, options.maxAttempts);
  const execution: ExecutionRef = {
    id: envelope.e,
    publicId: envelope.u,
    task: task.name,
    lane: task.lane,
  };
  const logger = options.logger ?? createLogger("silent");
  const clock = new DatabaseClock();
  await clock.sync(db);
  const ledger = new LedgerWriter({ db, workerId: RUN_TASK_WORKER_ID, logger, clock });
  const shared: JobContextShared<Services> = {
    db,
    ledger,
    logger,
    ...(options.services === undefined ? {} : { services: options.services }),
  };
  const maxAttempts = envelope.m ?? task.maxAttempts;
  const ctx = new JobContext(shared, new JobAbort(), execution, 1, maxAttempts);
  const startedAt = new Date(clock.now());
  ledger.started(execution, 1, startedAt);
  let result: Result;
  try {
    // As the job runner does: the task parses the payload the job carries.
    result = await task.run(task.payload.parse(envelope.p), ctx);
  } catch (error) {
    await ledger.finishedNow({
      execution,
      status: "dead",
      attempt: 1,
      startedAt,
      outcome: "failed",
      error: errorRecord(error),
    });
    throw error;
  }
  ledger.succeeded({ execution, attempt: 1, startedAt, firstTry: true, result });
  // A failed write of the ending is only logged by the ledger (a worker reconciles it later):
  // here nothing would, so the row read back must show it.
  await ledger.flush();
  const row = await executionGetRowByPublicId(db, envelope.u);
  if (!row) throw new Error(`execution ${envelope.u} vanished while its task ran`);
  if (row.status !== "succeeded") {
    throw new Error(
      `task "${task.name}" succeeded but the ledger did not record it: execution ${envelope.u} ` +
        `is still ${row.status} (the ledger write failed; the logger has its error)`,
    );
  }
  return { result, execution: row };
}

/**
 * Enqueues through the real `enqueue` and, in the same transaction, takes back the job it added:
 * no worker ever sees it. Returns the envelope the job carried.
 */
async function enqueueWithoutJob(
  db: Db,
  task: Parameters<typeof enqueue>[1],
  payload: unknown,
  maxAttempts: number | undefined,
): Promise<JobEnvelope> {
  const run = async (trx: Db) => {
    const publicId = await enqueue(
      trx,
      task,
      payload,
      maxAttempts === undefined ? {} : { maxAttempts },
    );
    return jobTakeBack(trx, publicId);
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
