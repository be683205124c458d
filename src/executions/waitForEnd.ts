/**
 * Waiting for an execution to end, as seed 001's `get_task_result(task_id, timeout)` does: the
 * API's `GET /api/tasks/status/{id}/?wait=30` and `switchboard result <id> --wait 60`.
 *
 * Endings arrive as execution events over LISTEN (the event hub); the ledger is read once at the
 * start, again when an event says this execution ended, and every `recheckMs` besides: a waiting
 * job cancelled or purged ends without an event, and events published while the LISTEN
 * connection is down are not replayed.
 */
import type { Db } from "../database/pool.ts";
import { isTerminalStatus } from "../engine/executionStatus.ts";
import { executionGetByPublicId } from "./queries.ts";

/** What the wait needs of the event hub (`src/api/events/eventHub.ts`). */
export interface ExecutionEventSource {
  subscribe(subscriber: {
    event(event: { id: string; status: string }): void;
    closed?(): void;
  }): () => void;
  /** False while the LISTEN connection is down: the ledger is then read every second. */
  readonly listening: boolean;
}

export interface WaitForEndOptions {
  /** How long to wait for an ending. */
  timeoutMs: number;
  /** Ends the wait early (a client that went away, a command interrupted). */
  signal?: AbortSignal;
  /** Between two reads of the ledger while no event comes; default 5 s (1 s without LISTEN). */
  recheckMs?: number;
}

const DEFAULT_RECHECK_MS = 5_000;
const RECHECK_WITHOUT_EVENTS_MS = 1_000;

/**
 * The execution once it has ended, or as it stands when the time is up or the wait was
 * aborted; undefined for an unknown id (at once).
 *
 * @example
 * const row = await executionWaitForEnd(db, hub, taskId, { timeoutMs: 30_000 });
 * if (row && isTerminalStatus(row.status)) console.log(row.result);
 */
export async function executionWaitForEnd(
  db: Db,
  events: ExecutionEventSource,
  publicId: string,
  { timeoutMs, signal, recheckMs = DEFAULT_RECHECK_MS }: WaitForEndOptions,
) {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  let closed = false;
  let wake = () => {};
  // Subscribed before the first read, so an ending between the two is not missed.
  const unsubscribe = events.subscribe({
    event: (event) => {
      if (event.id !== publicId || !isTerminalStatus(event.status)) return;
      ended = true;
      wake();
    },
    closed: () => {
      closed = true;
      wake();
    },
  });
  try {
    for (;;) {
      const row = await executionGetByPublicId(db, publicId);
      if (!row || isTerminalStatus(row.status)) return row;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted || closed) return row;
      if (ended) {
        // The event came before the ledger read showed its commit: read again at once.
        ended = false;
        continue;
      }
      const pause = Math.min(left, events.listening ? recheckMs : RECHECK_WITHOUT_EVENTS_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pause);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          wake = () => {};
          resolve();
        }
        wake = done;
        signal?.addEventListener("abort", done, { once: true });
      });
      ended = false;
    }
  } finally {
    unsubscribe();
  }
}
