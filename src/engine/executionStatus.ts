/**
 * An execution's status, and the sets of statuses the engine, the API and the monitors reason
 * about. Every list of statuses in Switchboard is one of these.
 *
 * queued → running → succeeded; a scheduled execution waits for its `run_at`; a failed attempt
 * with attempts left goes to retrying; exactly one of the terminal statuses ends it.
 */
import { type RawBuilder, sql } from "kysely";

export const executionStatuses = [
  "queued",
  "scheduled",
  "running",
  "retrying",
  "succeeded",
  "dead",
  "cancelled",
  "expired",
] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

/** Not ended yet: the execution has (or is about to get) a graphile-worker job. */
export const liveStatuses = ["queued", "scheduled", "running", "retrying"] as const;

/** Live and not running: waiting for a worker (once `run_at` has passed). */
export const waitingStatuses = ["queued", "scheduled", "retrying"] as const;

/** Exactly one of these ends every execution. */
export const terminalStatuses = ["succeeded", "dead", "cancelled", "expired"] as const;
export type TerminalStatus = (typeof terminalStatuses)[number];

/** Ended without success: `retry` runs these again. */
export const retryableStatuses = ["dead", "cancelled", "expired"] as const;

export function isExecutionStatus(name: string): name is ExecutionStatus {
  return (executionStatuses as readonly string[]).includes(name);
}

export function isTerminalStatus(status: string): status is TerminalStatus {
  return (terminalStatuses as readonly string[]).includes(status);
}

export function isRetryableStatus(status: string): boolean {
  return (retryableStatuses as readonly string[]).includes(status);
}

/** A status set as an SQL list of literals, for `status in (…)` in raw SQL. */
export function statusList(statuses: readonly ExecutionStatus[]): RawBuilder<unknown> {
  return sql.join(statuses.map((status) => sql.lit(status)));
}
