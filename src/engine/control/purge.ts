/**
 * Purging (Celery's `purge_queue`): cancelling every waiting execution (queued, scheduled,
 * retrying) of a lane, of a task, or of a task in a lane, however many there are. It goes in
 * batches, each one short transaction of the caller's: the batch's jobs are deleted and their
 * executions cancelled together, as `cancelExecution` does one at a time. A job a worker has
 * already taken (its execution not yet `running`) is not deleted: its worker is asked to stop
 * (NOTIFY), as for a running execution.
 *
 * A purge takes each waiting status in turn, newest execution first, keyset-paged on
 * (created_at, id) so that every batch is an index range and rows it could not cancel are not
 * read again. It stops at the executions that existed when it began (`upToId`), so a lane that
 * keeps receiving work still ends its purge.
 *
 * @example
 * let position: PurgePosition | null = await purgeStart(db);
 * while (position) {
 *   const from = position;
 *   const batch = await db.transaction().execute((trx) => purgeBatch(trx, selection, from, 1_000));
 *   position = batch.next;
 * }
 */
import { sql, type Transaction } from "kysely";
import { afterCursor, type Cursor, cursorKey } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import type { Database } from "../../database/schema.ts";
import { isoMicros } from "../../database/timestamps.ts";
import { statusList, waitingStatuses } from "../executionStatus.ts";
import { jobWaiting } from "../fleet/unknownTasks.ts";
import { CANCEL_CHANNEL } from "./cancel.ts";

/** What a purge cancels: the waiting executions of the lane, of the task, or of both at once. */
export interface PurgeSelection {
  lane?: string;
  taskName?: string;
}

type WaitingStatus = (typeof waitingStatuses)[number];

/** Where a purge goes on from. */
export interface PurgePosition {
  status: WaitingStatus;
  /** The last execution of the previous batch of this status; none at its start. */
  after?: Cursor;
  /** The newest execution the purge takes: the last one when it began. */
  upToId: number;
}

export interface PurgeBatch {
  cancelled: number;
  /** Executions whose job a worker already held: their worker is asked to stop. */
  cancelRequested: number;
  /** Where the next batch starts; null when the purge is done. */
  next: PurgePosition | null;
}

/** Refused: a purge must be told which lane or task to empty. */
export class PurgeSelectionEmpty extends Error {
  override name = "PurgeSelectionEmpty";
  constructor() {
    super("a purge needs a lane or a task name");
  }
}

/** The first position of a purge begun now. */
export async function purgeStart(db: Db): Promise<PurgePosition> {
  const { rows } = await sql<{ id: number }>`
    select coalesce(max(id), 0)::int8 as id from executions`.execute(db);
  return { status: waitingStatuses[0], upToId: Number(rows[0]?.id ?? 0) };
}

function matches(selection: PurgeSelection) {
  if (!selection.lane && !selection.taskName) throw new PurgeSelectionEmpty();
  return sql.join(
    [
      ...(selection.lane ? [sql`lane = ${selection.lane}`] : []),
      ...(selection.taskName ? [sql`task_name = ${selection.taskName}`] : []),
    ],
    sql` and `,
  );
}

/** How many executions a purge of `selection` would take now. */
export async function purgeCount(db: Db, selection: PurgeSelection): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from executions
    where ${matches(selection)} and status in (${statusList(waitingStatuses)})`.execute(db);
  return rows[0]?.n ?? 0;
}

/** Cancels the next `limit` waiting executions of `selection`. */
export async function purgeBatch(
  trx: Transaction<Database>,
  selection: PurgeSelection,
  position: PurgePosition,
  limit: number,
): Promise<PurgeBatch> {
  const { status, after, upToId } = position;
  const { rows } = await sql<{
    cancelled: number;
    requested: number[];
    last_at: string | null;
    last_id: number | null;
  }>`
    with batch as (
      select id, job_id, created_at from executions
      where ${matches(selection)} and status = ${status} and id <= ${upToId}
        ${after ? sql`and ${afterCursor("created_at", after)}` : sql``}
      order by created_at desc, id desc
      limit ${limit}
      for update skip locked
    ),
    deleted as (
      delete from graphile_worker._private_jobs j using batch
      where j.id = batch.job_id and ${jobWaiting("j")}
      returning j.id
    ),
    cancelled as (
      update executions e set
        status = 'cancelled', finished_at = now(), job_id = null, updated_at = now()
      from batch
      where e.id = batch.id and (batch.job_id is null or batch.job_id in (select id from deleted))
      returning e.id
    ),
    requested as (
      update executions e set cancel_requested_at = now(), updated_at = now()
      from batch
      where e.id = batch.id and batch.job_id not in (select id from deleted)
      returning e.id
    ),
    last as (
      select ${cursorKey("created_at")} as at_key, id from batch
      order by created_at desc, id desc offset ${limit - 1} limit 1
    )
    select
      (select count(*) from cancelled)::int as cancelled,
      array(select id from requested) as requested,
      (select at_key from last) as last_at,
      (select id from last) as last_id`.execute(trx);
  const row = rows[0];
  if (!row) throw new Error("the purge batch returned no row");
  if (row.requested.length > 0) {
    await sql`select pg_notify(${CANCEL_CHANNEL}, id::text)
              from unnest(${row.requested.map(String)}::text[]) as id`.execute(trx);
  }
  return {
    cancelled: row.cancelled,
    cancelRequested: row.requested.length,
    next: nextPosition(position, row.last_at, row.last_id),
  };
}

/** A full batch goes on after its last row; a short one ends its status. */
function nextPosition(
  position: PurgePosition,
  lastAt: string | null,
  lastId: number | null,
): PurgePosition | null {
  if (lastAt !== null && lastId !== null) {
    return { ...position, after: { at: isoMicros(lastAt), id: Number(lastId) } };
  }
  const following = waitingStatuses[waitingStatuses.indexOf(position.status) + 1];
  return following ? { status: following, upToId: position.upToId } : null;
}
