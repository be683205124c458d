/**
 * The dead-letter queue: executions that ran out of attempts (or failed permanently), newest
 * first, with keyset pagination on (finished_at, id).
 */
import type { Db } from "../../database/pool.ts";
import type { Execution } from "../../database/schema.ts";

export interface DeadLetterQuery {
  taskName?: string;
  limit?: number;
  /** Continue after this execution (the last one of the previous page). */
  after?: { finishedAt: Date; id: number };
}

export async function listDeadExecutions(
  db: Db,
  query: DeadLetterQuery = {},
): Promise<Execution[]> {
  let select = db
    .selectFrom("executions")
    .selectAll()
    .where("status", "=", "dead")
    .orderBy("finished_at", "desc")
    .orderBy("id", "desc")
    .limit(Math.min(Math.max(query.limit ?? 50, 1), 500));
  if (query.taskName) select = select.where("task_name", "=", query.taskName);
  const after = query.after;
  if (after) {
    select = select.where((eb) =>
      eb.or([
        eb("finished_at", "<", after.finishedAt),
        eb.and([eb("finished_at", "=", after.finishedAt), eb("id", "<", after.id)]),
      ]),
    );
  }
  return select.execute();
}
