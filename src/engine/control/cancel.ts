/**
 * Cancelling an execution. One that waits (queued, scheduled, retrying) is cancelled at once:
 * its job is deleted in the same transaction as its ledger row changes. One that runs gets a
 * request: NOTIFY reaches its worker, the job's signal aborts, and the worker ends it `cancelled`.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../../database/schema.ts";
import { isTerminalStatus } from "../executionStatus.ts";
import { jobWaiting } from "../fleet/unknownTasks.ts";

export const CANCEL_CHANNEL = "switchboard_cancel";

export type CancelOutcome = "cancelled" | "requested" | "already_finished" | "not_found";

/** Must run in a transaction: the job delete and the ledger update stand or fall together. */
export async function cancelExecution(
  trx: Transaction<Database>,
  publicId: string,
): Promise<CancelOutcome> {
  const execution = await trx
    .selectFrom("executions")
    .select(["id", "status", "job_id"])
    .where("public_id", "=", publicId)
    .forUpdate()
    .executeTakeFirst();
  if (!execution) return "not_found";
  if (isTerminalStatus(execution.status)) {
    return "already_finished";
  }
  // A job that no worker holds (unlocked, or parked) can be deleted outright.
  const deleted = execution.job_id
    ? await sql`delete from graphile_worker._private_jobs
                where id = ${execution.job_id} and ${jobWaiting()}`.execute(trx)
    : { numAffectedRows: 0n };
  if (Number(deleted.numAffectedRows ?? 0n) > 0 || execution.job_id === null) {
    await trx
      .updateTable("executions")
      .set({ status: "cancelled", finished_at: sql`now()`, job_id: null, updated_at: sql`now()` })
      .where("id", "=", execution.id)
      .execute();
    return "cancelled";
  }
  await trx
    .updateTable("executions")
    .set({ cancel_requested_at: sql`now()`, updated_at: sql`now()` })
    .where("id", "=", execution.id)
    .execute();
  await sql`select pg_notify(${CANCEL_CHANNEL}, ${String(execution.id)})`.execute(trx);
  return "requested";
}
