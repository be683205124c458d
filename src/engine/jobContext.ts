/**
 * The `ctx` a task's `run` receives. One is made per job, so it is a class: its methods and
 * getters live on the prototype instead of being fresh closures for every job, and what most
 * jobs never touch (the logger, the AbortSignal) is only made on first use.
 */
import type { z } from "zod";
import type { Db } from "../database/pool.ts";
import type { Logger } from "../observability/logger.ts";
import { enqueue } from "./enqueue.ts";
import type { ExecutionRef } from "./ledger/executionEvents.ts";
import type { LedgerWriter } from "./ledger/ledgerWriter.ts";
import type { EnqueueOptions, Task, TaskContext } from "./types.ts";

/**
 * `abandoned`: this worker was declared dead (see `fleet/`), so the job runs elsewhere and
 * nothing this process does with it counts.
 */
export type AbortCause = "cancelled" | "soft_time_limit" | "shutdown" | "abandoned";

/** Why a running job's signal aborted. */
export class AbortReason extends Error {
  readonly kind: AbortCause;
  constructor(kind: AbortCause) {
    super(kind);
    this.name = "AbortReason";
    this.kind = kind;
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

  get cancelled(): boolean {
    return this.reason?.kind === "cancelled";
  }
}

/** What every job of a worker shares. */
export interface JobContextShared<Services = unknown> {
  db: Db;
  ledger: LedgerWriter;
  logger: Logger;
  services?: Services;
}

export class JobContext<Services> implements TaskContext<Services> {
  readonly #shared: JobContextShared<Services>;
  readonly #abort: JobAbort;
  readonly #execution: ExecutionRef;
  #logger: Logger | undefined;

  constructor(
    shared: JobContextShared<Services>,
    abort: JobAbort,
    execution: ExecutionRef,
    attempt: number,
    maxAttempts: number,
  ) {
    this.#shared = shared;
    this.#abort = abort;
    this.#execution = execution;
    this.executionId = execution.publicId;
    this.attempt = attempt;
    this.maxAttempts = maxAttempts;
  }

  readonly executionId: string;
  readonly attempt: number;
  readonly maxAttempts: number;

  get taskName(): string {
    return this.#execution.task;
  }

  get logger(): Logger {
    this.#logger ??= this.#shared.logger.child({
      task: this.#execution.task,
      executionId: this.executionId,
      attempt: this.attempt,
    });
    return this.#logger;
  }

  get db(): Db {
    return this.#shared.db;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get services(): Services {
    if (!this.#shared.services) throw new Error("this worker was started without services");
    return this.#shared.services;
  }

  progress(percent: number, message?: string): void {
    this.#shared.ledger.progress(this.#execution, this.attempt, percent, message ?? null);
  }

  enqueue<S extends z.ZodType>(
    task: Task<S>,
    payload: z.input<S>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    return enqueue(this.#shared.db, task, payload, {
      ...options,
      parentId: options.parentId ?? this.executionId,
    });
  }
}
