/**
 * Claiming a recording for processing, so that one job at a time downloads it.
 *
 * A claim moves the row `pending`/`failed` → `processing` in a short transaction that locks it
 * with `for update skip locked`: a second job claiming at the same moment skips the locked row
 * and backs off instead of waiting. The claim is committed (the row shows `processing` while the
 * download runs), so it is owned by the execution that made it, which stays live (queued,
 * running or retrying) in the ledger until it ends. A `processing` row may be claimed again
 * only when no other live `process_call_recording` execution refers to it: that is how the
 * same execution, re-run after its worker crashed, takes its claim back, while a duplicate job
 * leaves a claim in progress alone.
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../database/pool.ts";
import type { Database, Recording } from "../database/schema.ts";
import { liveStatuses } from "../engine/executionStatus.ts";
import { recordingTaskNames } from "./jobKeys.ts";

export type ClaimResult =
  | { kind: "claimed"; recording: Recording }
  /** Stored or archived already: nothing to do. */
  | { kind: "done"; recording: Recording }
  /** Another job is claiming or processing it right now. */
  | { kind: "busy" }
  | { kind: "not_found" };

/** Claims recording `recordingId` for the execution `executionId` (its public id). */
export async function claimRecording(
  db: Db,
  recordingId: number,
  executionId: string,
): Promise<ClaimResult> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("recordings")
      .selectAll()
      .where("id", "=", recordingId)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!row) {
      const exists = await trx
        .selectFrom("recordings")
        .select("id")
        .where("id", "=", recordingId)
        .executeTakeFirst();
      return exists ? { kind: "busy" } : { kind: "not_found" };
    }
    if (row.status === "stored" || row.status === "archived") {
      return { kind: "done", recording: row };
    }
    if (row.status === "processing" && (await otherLiveClaimant(trx, row, executionId))) {
      return { kind: "busy" };
    }
    const claimed = await trx
      .updateTable("recordings")
      .set({ status: "processing", error_message: null })
      .where("id", "=", recordingId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { kind: "claimed", recording: claimed };
  });
}

/**
 * Whether a live `process_call_recording` execution other than `executionId` refers to the
 * recording, by `recording_id` or by its `call_id`.
 */
async function otherLiveClaimant(
  trx: Transaction<Database>,
  recording: Pick<Recording, "id" | "call_id">,
  executionId: string,
): Promise<boolean> {
  const row = await trx
    .selectFrom("executions")
    .select("id")
    .where("task_name", "=", recordingTaskNames.process)
    .where("status", "in", liveStatuses)
    .where("public_id", "<>", executionId)
    .where((eb) =>
      eb.or([
        eb(sql`payload->>'recording_id'`, "=", String(recording.id)),
        ...(recording.call_id === null
          ? []
          : [eb(sql`payload->>'call_id'`, "=", String(recording.call_id))]),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends a claim that failed: `processing` → `failed`, with the reason. */
export async function releaseFailedClaim(
  db: Db,
  recordingId: number,
  error: unknown,
): Promise<void> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await db
    .updateTable("recordings")
    .set({ status: "failed", error_message: message.slice(0, 2000) })
    .where("id", "=", recordingId)
    .where("status", "=", "processing")
    .execute();
}
