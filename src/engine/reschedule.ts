/**
 * Puts an execution back in line with a new graphile-worker job, in one transaction with its
 * ledger row: graphile-worker's own backoff is fixed, so retries (per the task's strategy),
 * snoozes and waits for a shared limit all go through here. The current job then completes.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { AttemptOutcome } from "../database/schema.ts";
import { statusList, terminalStatuses } from "./executionStatus.ts";
import { addJob, envelopeJson, type JobEnvelope } from "./jobSpec.ts";
import type { ErrorRecord } from "./ledger/ledgerWriter.ts";

export interface Reschedule {
  executionId: number;
  /** The worker putting it back; nothing happens if that worker was declared dead meanwhile. */
  workerId: string;
  taskName: string;
  lane: string;
  envelope: JobEnvelope;
  /** Attempts left for graphile-worker (crash re-runs count). */
  maxJobAttempts: number;
  delayMs: number;
  /** The attempt that just ended, recorded in the history; null when it never started. */
  endedAttempt: {
    attempt: number;
    workerId: string;
    startedAt: Date;
    outcome: AttemptOutcome;
    error?: ErrorRecord;
  } | null;
  /** Attempts spent so far (the ledger's `attempts`). */
  attemptsSpent: number;
}

/** Returns false, changing nothing, if the worker was declared dead. */
export async function reschedule(db: Db, r: Reschedule): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // A key-share lock keeps crash recovery (for update) from declaring the worker dead until
    // this commits, without holding up the worker's heartbeat (a no-key update).
    const { rows: fence } = await sql<{ dead: boolean }>`
      select stopped_at is not null as dead from workers where id = ${r.workerId} for key share
    `.execute(trx);
    if (fence[0]?.dead) return false;
    // Counted from the database's now: the new job's run time and the ledger's agree with it.
    const runAt = sql<string>`(now() + ${r.delayMs}::float8 * interval '1 millisecond')`;
    const error = r.endedAttempt?.error;
    // The new job keeps the execution's own priority, as it was enqueued.
    const job = addJob({
      taskName: r.taskName,
      envelope: envelopeJson(r.envelope),
      runAt,
      maxAttempts: r.maxJobAttempts,
      priority: sql`executions.priority`,
      lane: r.lane,
    });
    await sql`
      update executions set
        job_id = ${job},
        status = case when ${r.endedAttempt === null} then status else 'retrying' end,
        attempts = ${r.attemptsSpent},
        max_attempts = coalesce(${r.envelope.m ?? null}::int, max_attempts),
        run_at = ${runAt},
        error_class = coalesce(${error?.class ?? null}, error_class),
        error_message = coalesce(${error?.message ?? null}, error_message),
        error_stack = coalesce(${error?.stack ?? null}, error_stack),
        worker_id = coalesce(${r.endedAttempt?.workerId ?? null}, worker_id),
        started_at = coalesce(started_at, ${r.endedAttempt?.startedAt.toISOString() ?? null}::timestamptz),
        updated_at = now()
      where id = ${r.executionId}
        and status not in (${statusList(terminalStatuses)})`.execute(trx);
    if (r.endedAttempt) {
      const a = r.endedAttempt;
      await trx
        .insertInto("execution_attempts")
        .values({
          execution_id: r.executionId,
          attempt: a.attempt,
          worker_id: a.workerId,
          started_at: a.startedAt,
          finished_at: sql<Date>`now()`,
          outcome: a.outcome,
          error_class: a.error?.class ?? null,
          error_message: a.error?.message ?? null,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    return true;
  });
}
