/**
 * The fault suite's load: `jobs` runs of `debug_task` (short sleeps, some reporting progress
 * step by step), enqueued with the engine's `enqueueMany` in batches spread evenly over
 * `spreadMs`, so that workers are busy while every fault hits them.
 *
 * A batch whose enqueue failed (the database went away) may or may not have committed: each
 * batch carries a correlation id of its own, and once the database answers again the batch is
 * looked up before it is sent again, so every job counts as enqueued exactly when its
 * execution was acknowledged or found.
 */
import { sql } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import { enqueueMany } from "../../src/engine/enqueue.ts";
import { recordedDebugTask } from "./faultTasks.ts";

const TICK_MS = 250;
const MAX_BATCH = 100;
const RETRY_MS = 1_000;

export interface LoadOptions {
  jobs: number;
  spreadMs: number;
  /** False while the suite holds the database down. */
  databaseUp: () => boolean;
}

export class Load {
  /** Public ids of the executions enqueued so far. */
  readonly enqueued: string[] = [];
  /** Batches found partly written after a failed enqueue (never expected: a batch is atomic). */
  partialBatches = 0;
  readonly #db: Db;
  readonly #options: LoadOptions;
  #batches = 0;
  #stopped = false;

  constructor(db: Db, options: LoadOptions) {
    this.#db = db;
    this.#options = options;
  }

  get done(): boolean {
    return this.enqueued.length >= this.#options.jobs;
  }

  async run(): Promise<void> {
    const startedAt = Date.now();
    let sent = 0;
    while (sent < this.#options.jobs && !this.#stopped) {
      const due = Math.min(
        this.#options.jobs,
        Math.ceil((this.#options.jobs * (Date.now() - startedAt)) / this.#options.spreadMs),
      );
      if (due > sent && this.#options.databaseUp()) {
        const size = Math.min(MAX_BATCH, due - sent);
        await this.#enqueueBatch(sent, size);
        sent += size;
      } else {
        await sleep(TICK_MS);
      }
    }
  }

  /** Stops enqueueing (the batch in flight, if any, completes). */
  stop(): void {
    this.#stopped = true;
  }

  async #enqueueBatch(first: number, size: number): Promise<void> {
    const correlationId = `fault-load-${++this.#batches}`;
    const items = Array.from({ length: size }, (_, i) => ({
      task: recordedDebugTask,
      payload: jobPayload(first + i),
      options: { correlationId },
    }));
    for (;;) {
      try {
        this.enqueued.push(...(await enqueueMany(this.#db, items)));
        return;
      } catch {
        const found = await this.#lookUp(correlationId);
        if (this.#stopped) return;
        if (found.length === size) {
          this.enqueued.push(...found);
          return;
        }
        if (found.length > 0) {
          this.partialBatches++;
          this.enqueued.push(...found);
          return;
        }
      }
    }
  }

  /** The executions of a batch, once the database answers. */
  async #lookUp(correlationId: string): Promise<string[]> {
    while (!this.#stopped) {
      await sleep(RETRY_MS);
      if (!this.#options.databaseUp()) continue;
      try {
        const { rows } = await sql<{ public_id: string }>`
          select public_id from executions where correlation_id = ${correlationId}`.execute(
          this.#db,
        );
        return rows.map((row) => row.public_id);
      } catch {
        // still away
      }
    }
    return [];
  }
}

/**
 * Job `n`'s payload: a sleep of 20–300 ms; one job in four reports ten progress steps. The load
 * leaves the fleet spare capacity even with one worker paused and another being replaced, so the
 * time a killed worker's jobs take to start again measures recovery, not a queue's wait.
 */
function jobPayload(n: number) {
  return {
    sleep_ms: 20 + Math.floor(Math.random() * 280),
    progress_steps: n % 4 === 0 ? 10 : 1,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
