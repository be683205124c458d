/**
 * Retrying an execution that has ended (`dead` — the dead-letter queue — `cancelled` or
 * `expired`): a new job runs it again with as many fresh attempts as it had, in one transaction
 * with its ledger row.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../../database/schema.ts";
import { isRetryableStatus } from "../executionStatus.ts";
import { addJob, jobEnvelopeSql, payloadWithSecrets } from "../jobSpec.ts";
import type { TaskRegistry } from "../registry.ts";

export type RetryOutcome = "retried" | "not_retryable" | "not_found" | "unknown_task";

export async function retryExecution(
  trx: Transaction<Database>,
  registry: TaskRegistry,
  publicId: string,
): Promise<RetryOutcome> {
  const execution = await trx
    .selectFrom("executions")
    .select(["id", "status", "task_name"])
    .where("public_id", "=", publicId)
    .forUpdate()
    .executeTakeFirst();
  if (!execution) return "not_found";
  if (!isRetryableStatus(execution.status)) return "not_retryable";
  const task = registry.get(execution.task_name);
  if (!task) return "unknown_task";
  await sql`
    with grown as (
      select id, public_id, attempts + 1 as next_attempt, attempts + max_attempts as new_max,
             ${payloadWithSecrets()} as real_payload, attempts > 0 as has_history, priority
      from executions where id = ${execution.id}
    )
    update executions e set
      job_id = (select ${addJob({
        taskName: task.name,
        envelope: jobEnvelopeSql({
          executionId: sql`g.id`,
          publicId: sql`g.public_id`,
          attempt: sql`g.next_attempt`,
          payload: sql`g.real_payload`,
          maxAttempts: sql`g.new_max`,
          hasHistory: sql`g.has_history`,
        }),
        maxAttempts: sql`e.max_attempts`,
        priority: sql`g.priority`,
        lane: task.lane,
      })} from grown g),
      status = 'queued', max_attempts = (select new_max from grown), run_at = now(),
      finished_at = null, cancel_requested_at = null, updated_at = now()
    where e.id = ${execution.id}`.execute(trx);
  return "retried";
}
