/**
 * Batches the ledger writes of a worker process: job starts, ends and progress go into a buffer
 * that is flushed as one statement, which also publishes the batch's events in as few
 * notifications as their size allows (NOTIFY takes a database-wide lock at commit, so never one
 * per job; see `executionEvents.ts`). A start and an end of the same execution in one batch
 * become a single row update.
 *
 * Batches commit with `synchronous_commit = off`: they hold starts, progress and successes only,
 * and a success lost in a database crash is recovered from the job's absence (see
 * `reconcile.ts`). Every other ending (dead, cancelled, expired) is written at once and
 * durably by `finishedNow`, before the job is let go. Writes that must be atomic with a job
 * change (retry, snooze, cancel of a queued job) do not come here.
 * `execution_attempts` gets a row for every attempt of an execution that did not succeed at
 * its first try; a first-try success is fully described by its execution row.
 */
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import type { AttemptOutcome } from "../../database/schema.ts";
import type { Logger } from "../../observability/logger.ts";
import { type ExecutionStatus, statusList, terminalStatuses } from "../executionStatus.ts";
import type { Clock } from "../fleet/databaseClock.ts";
import { WorkerDeclaredDead } from "../fleet/declaredDead.ts";
import {
  EVENTS_CHANNEL,
  type ExecutionEvent,
  type ExecutionRef,
  notificationPayloads,
} from "./executionEvents.ts";

export interface ErrorRecord {
  class: string;
  message: string;
  stack: string | null;
}

/** What is buffered for one execution, as the flush sends it; times are epoch milliseconds. */
export interface PendingUpdate {
  id: number;
  status?: ExecutionStatus;
  attempts?: number;
  started_at?: number;
  finished_at?: number;
  finishing?: boolean;
  result?: unknown;
  error_class?: string;
  error_message?: string;
  error_stack?: string | null;
  progress?: number;
  progress_message?: string | null;
}

interface PendingAttempt {
  execution_id: number;
  attempt: number;
  worker_id: string;
  started_at: number;
  finished_at: number;
  outcome: AttemptOutcome;
  error_class: string | null;
  error_message: string | null;
}

/** A buffered update and the execution it is for. */
interface Pending {
  execution: ExecutionRef;
  update: PendingUpdate;
}

export interface Ending {
  execution: ExecutionRef;
  status: "succeeded" | "dead" | "cancelled" | "expired";
  attempt: number;
  startedAt: Date;
  outcome: AttemptOutcome | null;
  /** The execution has no earlier attempt (no retry, snooze, or crash before this one). */
  firstTry?: boolean;
  result?: unknown;
  error?: ErrorRecord;
}

export interface LedgerWriterOptions {
  db: Db;
  /** The worker whose jobs it records. */
  workerId: string;
  logger: Logger;
  /** Times endings by the database's clock (see `databaseClock.ts`). */
  clock: Clock;
  /** Longest a write waits in the buffer. */
  flushIntervalMs?: number;
  /** Flush, once the jobs in hand have run, when this many executions are pending. */
  maxBatch?: number;
  /** Largest stored result, in bytes of JSON; larger ones are replaced by a note. */
  maxResultBytes?: number;
}

export class LedgerWriter {
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #workerId: string;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #maxResultBytes: number;
  #pending = new Map<number, Pending>();
  #attempts: PendingAttempt[] = [];
  #timer: NodeJS.Timeout | undefined;
  #fullBatch: NodeJS.Immediate | undefined;
  #draining: Promise<void> | undefined;

  constructor(options: LedgerWriterOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#workerId = options.workerId;
    this.#intervalMs = options.flushIntervalMs ?? 10;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#maxResultBytes = options.maxResultBytes ?? 64 * 1024;
  }

  started(execution: ExecutionRef, attempt: number, at: Date): void {
    const { update } = this.#pendingFor(execution);
    update.status = "running";
    update.attempts = attempt;
    update.started_at = at.getTime();
  }

  /** A success, buffered with the rest of the batch. */
  succeeded(entry: Omit<Ending, "status" | "outcome" | "error">): void {
    const { update } = this.#pendingFor(entry.execution);
    this.#end(update, entry, "succeeded", "succeeded", this.#clock.now());
  }

  /**
   * Any other ending, written now and durably, together with what is buffered for the
   * execution; resolves once committed and rejects if the write failed, so the caller can keep
   * the job rather than lose the outcome.
   */
  async finishedNow(entry: Ending): Promise<void> {
    const { execution } = entry;
    const update = (await this.take(execution.id)) ?? { id: execution.id };
    const attempts = this.#end(update, entry, entry.status, entry.outcome, this.#clock.now());
    if (!(await this.#write([{ execution, update }], attempts, { durable: true })))
      throw new WorkerDeclaredDead(this.#workerId);
  }

  /** Fills in an ending; returns the attempt history row it adds, if any. */
  #end(
    update: PendingUpdate,
    entry: Omit<Ending, "status" | "outcome">,
    status: Ending["status"],
    outcome: Ending["outcome"],
    finishedAt: number,
  ): PendingAttempt[] {
    update.status = status;
    update.attempts = entry.attempt;
    update.finished_at = finishedAt;
    update.finishing = true;
    if (entry.result !== undefined) update.result = this.#capResult(entry.result);
    if (entry.error) {
      update.error_class = entry.error.class;
      update.error_message = entry.error.message;
      update.error_stack = entry.error.stack;
    }
    if (status === "succeeded") update.progress = 100;
    // A first attempt that succeeded adds nothing to what the execution row says.
    if (!outcome || (outcome === "succeeded" && entry.firstTry)) return [];
    const attempt: PendingAttempt = {
      execution_id: entry.execution.id,
      attempt: entry.attempt,
      worker_id: this.#workerId,
      started_at: entry.startedAt.getTime(),
      finished_at: finishedAt,
      outcome,
      error_class: entry.error?.class ?? null,
      error_message: entry.error?.message ?? null,
    };
    if (status === "succeeded") this.#attempts.push(attempt);
    return [attempt];
  }

  /**
   * An attempt that ended while the execution goes on (a task that overran its hard time limit
   * and is left to crash recovery), written now and durably; the status does not change.
   */
  async attemptEnded(entry: Omit<Ending, "status" | "outcome"> & { outcome: AttemptOutcome }) {
    const { execution } = entry;
    const update = (await this.take(execution.id)) ?? { id: execution.id };
    update.attempts = entry.attempt;
    if (entry.error) {
      update.error_class = entry.error.class;
      update.error_message = entry.error.message;
      update.error_stack = entry.error.stack;
    }
    const attempt: PendingAttempt = {
      execution_id: execution.id,
      attempt: entry.attempt,
      worker_id: this.#workerId,
      started_at: entry.startedAt.getTime(),
      finished_at: this.#clock.now(),
      outcome: entry.outcome,
      error_class: entry.error?.class ?? null,
      error_message: entry.error?.message ?? null,
    };
    if (!(await this.#write([{ execution, update }], [attempt], { durable: true })))
      throw new WorkerDeclaredDead(this.#workerId);
  }

  progress(
    execution: ExecutionRef,
    attempt: number,
    percent: number,
    message: string | null,
  ): void {
    if (Number.isNaN(percent)) return; // says nothing; the last progress stands
    const { update } = this.#pendingFor(execution);
    update.attempts = attempt;
    update.progress = Math.max(0, Math.min(100, percent));
    update.progress_message = message;
  }

  /**
   * Removes what is buffered for one execution and waits for writes in flight, so a synchronous
   * write that follows (retry, snooze) is not overtaken by an older buffered one.
   */
  async take(id: number): Promise<PendingUpdate | undefined> {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    await this.#draining;
    return pending?.update;
  }

  /**
   * Writes everything buffered so far; resolves when it is committed. While a write is in
   * flight, what arrives meanwhile waits and goes out as one batch right after it.
   */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    clearImmediate(this.#fullBatch);
    this.#timer = undefined;
    this.#fullBatch = undefined;
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0 || this.#attempts.length > 0) {
      const batch = [...this.#pending.values()];
      const attempts = this.#attempts;
      this.#pending = new Map();
      this.#attempts = [];
      await this.#write(batch, attempts, { durable: false }).catch((error: unknown) => {
        // Lost starts and progress do no harm; lost successes are reconciled.
        this.#logger.error({ err: error, executions: batch.length }, "ledger flush failed");
      });
    }
  }

  /** What is buffered for one execution, which the caller fills in; the flush is scheduled. */
  #pendingFor(execution: ExecutionRef): Pending {
    let pending = this.#pending.get(execution.id);
    if (!pending) {
      pending = { execution, update: { id: execution.id } };
      this.#pending.set(execution.id, pending);
      this.#schedule();
    }
    return pending;
  }

  #schedule(): void {
    if (this.#draining) return; // the drain in flight picks it up
    // A full batch goes out once the jobs in hand have run, not in the middle of them: a
    // worker fetches its next jobs only when it has handed out all it holds, so the time spent
    // building the batch there would delay that fetch.
    if (this.#pending.size >= this.#maxBatch)
      this.#fullBatch ??= setImmediate(() => void this.flush());
    else this.#timer ??= setTimeout(() => void this.flush(), this.#intervalMs);
  }

  #capResult(result: unknown): unknown {
    const json = JSON.stringify(result ?? null);
    if (json.length <= this.#maxResultBytes) return result ?? null;
    return { truncated: true, bytes: json.length, preview: json.slice(0, 1024) };
  }

  async #write(
    batch: Pending[],
    attempts: PendingAttempt[],
    { durable }: { durable: boolean },
  ): Promise<boolean> {
    const updates = batch.map((pending) => pending.update);
    const column = (value: (update: PendingUpdate) => ArrayElement) =>
      arrayLiteral(updates.map(value));
    const texts = JSON.stringify(updates.filter(hasText).map(textOf));
    const notifications = notificationPayloads(batch.map(eventOf));
    const { rows } = await sql<{ owned: boolean }>`
        with writer as (
          -- A durable ending locks the row (key share), so crash recovery cannot declare the
          -- worker dead while it is written; a batch of successes only reads it (a success
          -- that races a declaration at worst runs its job once more).
          select stopped_at from workers where id = ${this.#workerId}
          ${durable ? sql`for key share` : sql``}
        ),
        fence as (
          -- Nothing a worker declared dead writes counts: its jobs run elsewhere.
          select 1 where not exists (select 1 from writer where stopped_at is not null)
        ),
        input as (
          select x.id, x.status, x.attempts, x.started_at, x.finished_at, x.finishing, x.progress,
                 r.result, r.error_class, r.error_message, r.error_stack, r.progress_message
          from unnest(${column((u) => u.id)}::bigint[],
                      ${column((u) => u.status)}::text[],
                      ${column((u) => u.attempts)}::int[],
                      ${column((u) => u.started_at)}::float8[],
                      ${column((u) => u.finished_at)}::float8[],
                      ${column((u) => u.finishing)}::boolean[],
                      ${column((u) => u.progress)}::real[])
                 as x(id, status, attempts, started_at, finished_at, finishing, progress)
          left join jsonb_to_recordset(${texts}::jsonb)
                 as r(id bigint, result jsonb, error_class text, error_message text,
                      error_stack text, progress_message text)
                 on r.id = x.id
        ),
        updated as (
          update executions e set
            status = case when e.status in (${statusList(terminalStatuses)})
                          then e.status else coalesce(i.status, e.status) end,
            attempts = greatest(e.attempts, coalesce(i.attempts, e.attempts)),
            -- A start in the batch was made by this writer's worker.
            worker_id = case when i.started_at is null then e.worker_id else ${this.#workerId} end,
            -- The clock's offset is an estimate: a time is never put before the one it follows.
            -- (greatest() skips nulls, so each applies only to a time this batch brings.)
            started_at = case when i.started_at is null then e.started_at
                              else greatest(to_timestamp(i.started_at / 1000), e.created_at) end,
            finished_at = case when e.finished_at is not null or i.finished_at is null
                               then e.finished_at
                               else greatest(to_timestamp(i.finished_at / 1000),
                                             to_timestamp(i.started_at / 1000), e.started_at,
                                             e.created_at) end,
            job_id = case when i.finishing then null else e.job_id end,
            result = coalesce(i.result, e.result),
            error_class = coalesce(i.error_class, e.error_class),
            error_message = coalesce(i.error_message, e.error_message),
            error_stack = coalesce(i.error_stack, e.error_stack),
            progress = coalesce(i.progress, e.progress),
            progress_message = case when i.progress is null then e.progress_message
                                    else i.progress_message end,
            updated_at = now()
          from input i, fence
          where e.id = i.id
            -- A write about an earlier attempt than the row's is stale: the execution moved on.
            and (i.attempts is null or i.attempts >= e.attempts)
        ),
        attempts as (
          insert into execution_attempts (execution_id, attempt, worker_id, started_at,
                                          finished_at, outcome, error_class, error_message)
          select a.execution_id, a.attempt, a.worker_id, to_timestamp(a.started_at / 1000),
                 to_timestamp(a.finished_at / 1000), a.outcome, a.error_class, a.error_message
          from jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) as a(
            execution_id bigint, attempt int, worker_id text, started_at float8,
            finished_at float8, outcome text, error_class text, error_message text), fence
          on conflict do nothing
        )
        select (select count(pg_notify(${EVENTS_CHANNEL}, payload))
                from unnest(string_to_array(${notifications}::text, E'\n')) as payload
                where exists (select 1 from fence)) as notifications,
               exists (select 1 from fence) as owned,
               -- set_config(…, true) lasts until the end of this statement's own transaction.
               ${durable ? sql`null` : sql`set_config('synchronous_commit', 'off', true)`}
      `.execute(this.#db);
    return rows[0]?.owned ?? false;
  }
}

/** A value of one of the flush's array columns: numbers, flags and statuses, never free text. */
type ArrayElement = number | boolean | string | null | undefined;

/**
 * The text form of a PostgreSQL array of numbers, booleans or status words. The flush sends its
 * columns this way: the driver's own array encoding escapes and quotes every element, and a JSON
 * object per row makes both this process and PostgreSQL handle every column's name as well.
 */
function arrayLiteral(values: ArrayElement[]): string {
  return `{${values.map((value) => value ?? "NULL").join(",")}}`;
}

/**
 * Whether an update carries a result or free text, which travel as JSON (`textOf`) and only for
 * the updates that have them. An error's message and stack come with its class.
 */
function hasText(update: PendingUpdate): boolean {
  return (
    update.result !== undefined ||
    update.error_class !== undefined ||
    update.progress_message !== undefined
  );
}

function textOf(update: PendingUpdate) {
  return {
    id: update.id,
    result: update.result,
    error_class: update.error_class,
    error_message: update.error_message,
    error_stack: update.error_stack,
    progress_message: update.progress_message,
  };
}

/**
 * The event a buffered update publishes; an update without a status is progress of a running job.
 * It says what this worker wrote: in the rare case that the row had already ended (a sweep in
 * `reconcile.ts` got there first), the row keeps its ending and the event is stale — live views
 * are hints, the ledger is the record.
 */
function eventOf({ execution, update }: Pending): ExecutionEvent {
  return {
    execution,
    status: update.status ?? "running",
    progress: update.progress ?? null,
    message: update.progress_message ?? null,
  };
}
