/**
 * What a test enqueued: the executions of one task, filtered by payload, status, lane and
 * priority, in enqueue order.
 */
import type { Db } from "../database/pool.ts";
import type { Execution } from "../database/schema.ts";
import type { LaneName } from "../engine/lanes.ts";
import { executionListRows } from "../executions/queries.ts";
import { type StatusOption, statusesOf } from "./statuses.ts";
import { type TaskRef, taskNameOf } from "./taskRef.ts";

export interface EnqueuedFilter {
  /**
   * Fields the payload must contain (jsonb `@>`: nested objects match by subset, arrays by
   * inclusion). Secret fields are compared with their real values, not the "[redacted]" the
   * ledger shows.
   */
  payload?: unknown;
  /** One status or several; default any. */
  status?: StatusOption;
  lane?: LaneName;
  priority?: number;
}

/**
 * The executions of `task` matching `filter`, in enqueue order. Works inside the caller's
 * transaction, so an outbox-style enqueue can be checked before it commits.
 *
 * @example
 * const [sms] = await enqueuedList(db, sendSms, { payload: { to: "+15551234567" } });
 */
export async function enqueuedList(
  db: Db,
  task: TaskRef,
  filter: EnqueuedFilter = {},
): Promise<Execution[]> {
  return executionListRows(db, {
    task_name: taskNameOf(task),
    ...(filter.status === undefined ? {} : { status: statusesOf(filter.status) }),
    ...(filter.lane === undefined ? {} : { lane: filter.lane }),
    ...(filter.payload === undefined ? {} : { payload: filter.payload }),
    ...(filter.priority === undefined ? {} : { priority: filter.priority }),
  });
}
