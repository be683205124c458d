/**
 * The audit log: who did what to which targets, and how it ended. Write the row in the same
 * transaction as the change it records, so the log never claims a change that rolled back and
 * never misses one that committed. An action that changes nothing (an unknown id, a finished
 * execution) is recorded too, with that outcome. An action that commits in several
 * transactions (a purge, batch by batch) writes its row in the first and brings it up to date in
 * each later one (`auditUpdate`), so the row always says what has committed.
 *
 * @example
 * // A new kind of operator action, audited in the transaction that makes its change:
 * await db.transaction().execute(async (trx) => {
 *   const outcome = await reprioritizeExecution(trx, id, 5);
 *   await recordAudit(trx, {
 *     actor, requestId, action: "execution.reprioritize", targetIds: [id],
 *     details: { priority: 5 }, outcome,
 *   });
 * });
 */
import type { Kysely, Selectable, Transaction } from "kysely";
import { afterCursor, type Cursor, cursorKey, keysetPage } from "../database/keysetCursor.ts";
import type { AuditLogTable, Database } from "../database/schema.ts";

export type AuditEntry = Selectable<AuditLogTable>;

/** Who asks for an operator action: the API token's name, or `cli:<os user>` from the CLI. */
export interface Operator {
  actor: string;
  /** The HTTP request's id; none from the CLI. */
  requestId?: string | null;
}

/** An operator action on one execution. */
export interface ExecutionAction extends Operator {
  publicId: string;
}

export interface AuditRecord extends Operator {
  /** Dotted verb, e.g. `execution.cancel`, `lane.pause`, `token.create`. */
  action: string;
  targetIds?: string[];
  /** Any JSON; keep secrets out (it is served by `GET /api/audit/`). */
  details?: Record<string, unknown>;
  /** How it ended, e.g. `cancelled`, `retried`, `not_found`. */
  outcome: string;
}

/** Appends one audit row; returns its id. Pass the transaction that makes the change. */
export async function recordAudit(
  db: Transaction<Database> | Kysely<Database>,
  record: AuditRecord,
): Promise<number> {
  const row = await db
    .insertInto("audit_log")
    .values({
      actor: record.actor,
      action: record.action,
      target_ids: record.targetIds ?? [],
      details: JSON.stringify(record.details ?? {}),
      outcome: record.outcome,
      request_id: record.requestId ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Brings an audit row up to date, in the transaction of the change it now records too. */
export async function auditUpdate(
  db: Transaction<Database> | Kysely<Database>,
  id: number,
  update: Pick<AuditRecord, "details" | "outcome">,
): Promise<void> {
  await db
    .updateTable("audit_log")
    .set({ details: JSON.stringify(update.details ?? {}), outcome: update.outcome })
    .where("id", "=", id)
    .execute();
}

export interface AuditListQuery {
  limit: number;
  /** Continue after this entry (the last one of the previous page). */
  after?: Cursor;
  action?: string;
  actor?: string;
}

/**
 * Audit entries newest first, keyset-paged on (at, id). `next` is the key to pass as `after`
 * for the following page, or null on the last one.
 */
export async function auditList(db: Kysely<Database>, query: AuditListQuery) {
  let select = db
    .selectFrom("audit_log")
    .selectAll()
    .select(cursorKey("at").as("at_key"))
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(query.limit + 1);
  if (query.action) select = select.where("action", "=", query.action);
  if (query.actor) select = select.where("actor", "=", query.actor);
  if (query.after) select = select.where(afterCursor("at", query.after));
  const { rows, next } = keysetPage(await select.execute(), query.limit, (row) => row.at_key);
  return { entries: rows, next };
}
