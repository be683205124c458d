/**
 * The ledger rows the testing helpers read: whole `executions` rows, as stored, so a test can
 * assert on any column. Each takes a Kysely handle or a transaction, so an assertion can run
 * inside the caller's transaction before it commits.
 */
import { type Kysely, sql } from "kysely";
import type { Database, Execution } from "../database/schema.ts";
import type { ExecutionStatus } from "../engine/executionStatus.ts";

export type Executor = Kysely<Database>;

/** The execution with this public id, or undefined. */
export function executionGetByPublicId(
  db: Executor,
  publicId: string,
): Promise<Execution | undefined> {
  return db
    .selectFrom("executions")
    .selectAll()
    .where("public_id", "=", publicId)
    .executeTakeFirst();
}

export interface ExecutionListFilter {
  taskName: string;
  /** Matched by containment (jsonb `@>`) against the payload with its secret fields restored. */
  payload?: unknown;
  statuses?: ExecutionStatus[];
  lane?: string;
  priority?: number;
}

/** The executions of one task that match `filter`, in enqueue order. */
export function executionListForTask(
  db: Executor,
  filter: ExecutionListFilter,
): Promise<Execution[]> {
  let query = db.selectFrom("executions").selectAll().where("task_name", "=", filter.taskName);
  if (filter.payload !== undefined) {
    // The ledger shows secret fields as "[redacted]" and keeps their values in `secrets`; both
    // are top-level keys, so merging them back gives the payload as it was enqueued.
    query = query.where(
      sql<boolean>`(case when secrets is null then payload else payload || secrets end)
                   @> ${JSON.stringify(filter.payload)}::jsonb`,
    );
  }
  if (filter.statuses) query = query.where("status", "in", filter.statuses);
  if (filter.lane !== undefined) query = query.where("lane", "=", filter.lane);
  if (filter.priority !== undefined) query = query.where("priority", "=", filter.priority);
  return query.orderBy("id").execute();
}

/** Names of the tasks that have executions, for a message about a task that has none. */
export async function executionListTaskNames(db: Executor, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("executions")
    .select("task_name")
    .distinct()
    .orderBy("task_name")
    .limit(limit)
    .execute();
  return rows.map((row) => row.task_name);
}
