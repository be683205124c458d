/**
 * `execution.cancel`: cancel one execution for an operator, in its own transaction with its
 * audit row. An unknown or finished execution changes nothing and is audited with that outcome.
 */
import type { Db } from "../database/pool.ts";
import { type CancelOutcome, cancelExecution } from "../engine/control/cancel.ts";
import { type ExecutionAction, recordAudit } from "./audit.ts";

export async function executionCancel(
  db: Db,
  { publicId, actor, requestId }: ExecutionAction,
): Promise<CancelOutcome> {
  return db.transaction().execute(async (trx) => {
    const outcome = await cancelExecution(trx, publicId);
    await recordAudit(trx, {
      actor,
      requestId,
      action: "execution.cancel",
      targetIds: [publicId],
      outcome,
    });
    return outcome;
  });
}
