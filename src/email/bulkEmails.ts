/**
 * Seed 001's `send_bulk_emails`: one `send_email` job per message, enqueued in batches of
 * `batch_size`, each batch its own transaction, with progress after each. The jobs carry the
 * bulk execution as parent and as correlation id; a retried run counts the jobs its earlier
 * attempts committed (under a lock on the bulk execution) and carries on after them, so no
 * message is enqueued twice. Every message was validated by the payload schema before any is
 * enqueued.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { enqueueMany } from "../engine/enqueue.ts";
import type { AnyTask } from "../engine/task.ts";
import type { SendBulkEmailsPayload } from "./payload.ts";

export interface BulkEmailsResult {
  total: number;
  batches: number;
  /** Enqueued by this attempt; the rest by earlier attempts of the same execution. */
  enqueued: number;
}

export interface BulkEmailsRequest {
  /** The bulk execution's public id. */
  executionId: string;
  progress(percent: number, message?: string): void;
  signal?: AbortSignal;
}

export async function sendBulkEmails(
  db: Db,
  sendEmailTask: AnyTask,
  payload: SendBulkEmailsPayload,
  { executionId, progress, signal }: BulkEmailsRequest,
): Promise<BulkEmailsResult> {
  const total = payload.emails.length;
  const batchSize = payload.batch_size;
  let enqueued = 0;
  let done = 0;
  while (done < total) {
    signal?.throwIfAborted();
    done = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`send_bulk_emails:${executionId}`}))`.execute(
        trx,
      );
      const already = await enqueuedBy(trx, sendEmailTask.name, executionId);
      const batch = payload.emails.slice(already, already + batchSize);
      await enqueueMany(
        trx,
        batch.map((email) => ({
          task: sendEmailTask,
          payload: email,
          options: { parentId: executionId, correlationId: executionId },
        })),
      );
      enqueued += batch.length;
      return already + batch.length;
    });
    progress(Math.floor((done * 100) / total), `${done} of ${total} messages enqueued`);
  }
  return { total, batches: Math.ceil(total / batchSize), enqueued };
}

async function enqueuedBy(db: Db, taskName: string, executionId: string): Promise<number> {
  const row = await db
    .selectFrom("executions")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("correlation_id", "=", executionId)
    .where("parent_id", "=", executionId)
    .where("task_name", "=", taskName)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
