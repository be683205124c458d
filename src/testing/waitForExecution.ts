/**
 * Waits for an execution to reach a status, by reading the ledger until it does: a test that
 * enqueues and lets a real worker run the job waits here for the outcome.
 */
import { z } from "zod";
import type { Db } from "../database/pool.ts";
import type { Execution } from "../database/schema.ts";
import { isTerminalStatus, terminalStatuses } from "../engine/executionStatus.ts";
import { executionGetRowByPublicId } from "../executions/queries.ts";
import { type StatusOption, statusesOf } from "./statuses.ts";

export interface WaitForExecutionOptions {
  /** What to wait for: one status or several; default any terminal status. */
  status?: StatusOption;
  /** How long to wait before throwing; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Between two reads of the ledger. */
const POLL_MS = 25;

const publicIdSchema = z.uuid();

/**
 * Resolves with the execution once it reaches one of the statuses asked for. Throws at once for
 * an id no execution has, and as soon as the execution ends in a status not asked for (it
 * cannot reach one any more unless something retries it), with its error; on timeout, throws
 * naming the status it is still in.
 *
 * @example
 * const id = await enqueue(db, sendSms, { to: "+15551234567", body: "hi" });
 * const done = await waitForExecution(db, id, { status: "succeeded" });
 */
export async function waitForExecution(
  db: Db,
  publicId: string,
  options: WaitForExecutionOptions = {},
): Promise<Execution> {
  if (!publicIdSchema.safeParse(publicId).success) {
    throw new Error(`publicId: "${String(publicId)}" is not an execution id (a UUID)`);
  }
  const wanted = statusesOf(options.status ?? terminalStatuses);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new Error(`timeoutMs: must be a positive number of milliseconds (got ${timeoutMs})`);
  }
  const waitedFor = wanted.join(" or ");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await executionGetRowByPublicId(db, publicId);
    if (!row) throw new Error(`no execution has id ${publicId}`);
    if (wanted.includes(row.status)) return row;
    const what = `execution ${publicId} (task "${row.task_name}")`;
    if (isTerminalStatus(row.status)) {
      throw new Error(`${what} ended ${row.status}${errorOf(row)}; waited for ${waitedFor}`);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${what} is still ${row.status} after ${timeoutMs} ms; waited for ${waitedFor}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, deadline - Date.now())));
  }
}

function errorOf(row: Execution): string {
  return row.error_class ? ` (${row.error_class}: ${row.error_message ?? ""})` : "";
}
