/**
 * The audit log: who did what to which targets, and how it ended. Write the row in the same
 * transaction as the change it records, so the log never claims a change that rolled back and
 * never misses one that committed.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   const outcome = await cancelExecution(trx, id);
 *   await recordAudit(trx, {
 *     actor: principal.name, action: "execution.cancel", targetIds: [id],
 *     outcome, requestId: c.get("requestId"),
 *   });
 * });
 */
import type { Kysely, Selectable, Transaction } from "kysely";
import type { AuditLogTable, Database } from "../database/schema.ts";

export type AuditEntry = Selectable<AuditLogTable>;

export interface AuditRecord {
  /** The API token's name (`principal.name`), or "cli" for operator commands. */
  actor: string;
  /** Dotted verb, e.g. `execution.cancel`, `lane.pause`, `token.create`. */
  action: string;
  targetIds?: string[];
  /** Any JSON; keep secrets out (it is served by `GET /api/audit/`). */
  details?: Record<string, unknown>;
  /** How it ended, e.g. `succeeded`, `failed`, `not_found`. */
  outcome: string;
  requestId?: string | null;
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
