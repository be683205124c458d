/**
 * `execution.retry`: run a dead, cancelled or expired execution again for an operator, in its
 * own transaction with its audit row. An execution that is unknown, not retryable or of a task
 * this process does not know changes nothing and is audited with that outcome.
 */
import type { Db } from "../database/pool.ts";
import { type RetryOutcome, retryExecution } from "../engine/control/retry.ts";
import type { TaskRegistry } from "../engine/registry.ts";
import { type ExecutionAction, recordAudit } from "./audit.ts";

export async function executionRetry(
  db: Db,
  registry: TaskRegistry,
  { publicId, actor, requestId }: ExecutionAction,
): Promise<RetryOutcome> {
  return db.transaction().execute(async (trx) => {
    const outcome = await retryExecution(trx, registry, publicId);
    await recordAudit(trx, {
      actor,
      requestId,
      action: "execution.retry",
      targetIds: [publicId],
      outcome,
    });
    return outcome;
  });
}
