/**
 * Reading the execution ledger: one execution, its attempts, and lists of summaries (everything
 * but the payload and the result, which can be large), newest first with keyset pagination.
 * The API and the CLI read executions through these; the testing helpers read whole rows.
 *
 * Timestamps are selected as UTC text (see `database/timestamps.ts`), so a page of rows is read
 * without making a Date per timestamp. A page's `next` is the key of its last row, to pass as
 * `after` for the following page; null on the last page.
 */
import { type Selection, sql } from "kysely";
import { afterCursor, type Cursor, cursorKey, keysetPage } from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type { Database, Execution } from "../database/schema.ts";
import { utcText } from "../database/timestamps.ts";
import type { ExecutionStatus } from "../engine/executionStatus.ts";
import { applyExecutionFilters, type ExecutionFilters } from "./filters.ts";

const executionSummarySelection = [
  "public_id",
  "task_name",
  "lane",
  "status",
  "attempts",
  "max_attempts",
  "progress",
  "progress_message",
  "error_class",
  "error_message",
  "worker_id",
  "correlation_id",
  "parent_id",
  sql<boolean>`cancel_requested_at is not null`.as("cancel_requested"),
  utcText("created_at").as("created_at"),
  utcText("run_at").as("run_at"),
  utcText<string | null>("started_at").as("started_at"),
  utcText<string | null>("finished_at").as("finished_at"),
  utcText<string | null>("expires_at").as("expires_at"),
] as const;

const executionSelection = [
  ...executionSummarySelection,
  "priority",
  "payload",
  "result",
  "error_stack",
] as const;

export type ExecutionSummaryRow = Selection<
  Database,
  "executions",
  (typeof executionSummarySelection)[number]
>;
export type ExecutionRow = Selection<Database, "executions", (typeof executionSelection)[number]>;

export interface ExecutionPageQuery {
  filters?: ExecutionFilters;
  limit: number;
  after?: Cursor;
}

export interface ExecutionPage {
  rows: (ExecutionSummaryRow & { id: number })[];
  next: Cursor | null;
}

/** The whole execution (with its internal `id`), or undefined. */
export async function executionGetByPublicId(db: Db, publicId: string) {
  return db
    .selectFrom("executions")
    .select(["id", ...executionSelection])
    .where("public_id", "=", publicId)
    .executeTakeFirst();
}

/** The execution's row as stored, every column, or undefined. */
export function executionGetRowByPublicId(
  db: Db,
  publicId: string,
): Promise<Execution | undefined> {
  return db
    .selectFrom("executions")
    .selectAll()
    .where("public_id", "=", publicId)
    .executeTakeFirst();
}

/** The rows of the executions matching `filters`, as stored, in enqueue order. */
export function executionListRows(db: Db, filters: ExecutionFilters): Promise<Execution[]> {
  return applyExecutionFilters(db.selectFrom("executions").selectAll(), filters)
    .orderBy("id")
    .execute();
}

/** Names of the tasks that have executions, in name order. */
export async function executionListTaskNames(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("executions")
    .select("task_name")
    .distinct()
    .orderBy("task_name")
    .limit(limit)
    .execute();
  return rows.map((row) => row.task_name);
}

/** An execution's attempts, first to last; `executionId` is the internal id. */
export async function executionListAttempts(db: Db, executionId: number) {
  return db
    .selectFrom("execution_attempts")
    .selectAll()
    .where("execution_id", "=", executionId)
    .orderBy("started_at")
    .execute();
}

/** The executions enqueued by the execution `publicId` (its children), oldest first, at most `limit`. */
export async function executionListChildren(db: Db, publicId: string, limit = 100) {
  return db
    .selectFrom("executions")
    .select(["id", ...executionSummarySelection])
    .where("parent_id", "=", publicId)
    .orderBy("executions.id")
    .limit(limit)
    .execute();
}

/** Executions newest created first, keyset-paged on (created_at, id). */
export async function executionList(db: Db, query: ExecutionPageQuery): Promise<ExecutionPage> {
  const filters = query.filters ?? {};
  const newestFirst = (status: ExecutionStatus[] | undefined) => {
    let select = applyExecutionFilters(
      db
        .selectFrom("executions")
        .select(["id", ...executionSummarySelection])
        .select(cursorKey("created_at").as("cursor_at")),
      { ...filters, status },
    )
      // Qualified: a bare created_at here would mean the formatted text of the select list.
      .orderBy("executions.created_at", "desc")
      .orderBy("executions.id", "desc")
      .limit(query.limit + 1);
    if (query.after) select = select.where(afterCursor("created_at", query.after));
    return select;
  };
  const statuses = filters.status ?? [];
  // With several statuses no single index yields rows in page order: each status pages its
  // own index range, and the page is the newest of those.
  const rows =
    statuses.length > 1
      ? (
          await sql<Awaited<ReturnType<ReturnType<typeof newestFirst>["execute"]>>[number]>`
            select * from (${sql.join(
              statuses.map((status) => newestFirst([status])),
              sql` union all `,
            )}) as pages
            order by cursor_at::timestamp desc, id desc limit ${query.limit + 1}`.execute(db)
        ).rows
      : await newestFirst(filters.status).execute();
  return page(rows, query.limit);
}

/**
 * The dead-letter queue: dead executions, newest failure first, keyset-paged on
 * (finished_at, id). A `status` in the filters is ignored.
 */
export async function executionListDead(db: Db, query: ExecutionPageQuery): Promise<ExecutionPage> {
  let select = applyExecutionFilters(
    db
      .selectFrom("executions")
      .select(["id", ...executionSummarySelection])
      .select(cursorKey("finished_at").as("cursor_at")),
    { ...query.filters, status: ["dead"] },
  )
    .orderBy("executions.finished_at", "desc")
    .orderBy("executions.id", "desc")
    .limit(query.limit + 1);
  if (query.after) select = select.where(afterCursor("finished_at", query.after));
  return page(await select.execute(), query.limit);
}

function page<Row extends ExecutionSummaryRow & { id: number; cursor_at: string }>(
  rows: Row[],
  limit: number,
): ExecutionPage {
  return keysetPage(rows, limit, (row) => row.cursor_at);
}
