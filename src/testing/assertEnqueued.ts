/**
 * Assertions on what a test enqueued, River's `RequireInserted` for Switchboard. A failure is an
 * `Error` whose message says what was expected and lists what was enqueued for the task, so a
 * test report shows why nothing matched.
 */
import type { Db } from "../database/pool.ts";
import type { Execution } from "../database/schema.ts";
import { executionListRows, executionListTaskNames } from "../executions/queries.ts";
import { type EnqueuedFilter, enqueuedList } from "./enqueuedList.ts";
import { statusesOf } from "./statuses.ts";
import { type TaskRef, taskNameOf } from "./taskRef.ts";

export interface AssertEnqueuedOptions extends EnqueuedFilter {
  /** How many executions must match; without it, exactly one. */
  count?: number;
}

/** Most executions a failure message lists. */
const LISTED = 20;

/**
 * Asserts that exactly one execution of `task` matches (or exactly `count`, when given) and
 * returns it (or them, in enqueue order); otherwise throws.
 *
 * @example
 * await enqueue(trx, sendSms, { to: "+15551234567", body: "hi" });
 * const sms = await assertEnqueued(trx, sendSms, { payload: { to: "+15551234567" } });
 */
export async function assertEnqueued(
  db: Db,
  task: TaskRef,
  options: AssertEnqueuedOptions & { count: number },
): Promise<Execution[]>;
export async function assertEnqueued(
  db: Db,
  task: TaskRef,
  options?: AssertEnqueuedOptions,
): Promise<Execution>;
export async function assertEnqueued(
  db: Db,
  task: TaskRef,
  options: AssertEnqueuedOptions = {},
): Promise<Execution | Execution[]> {
  const { count, ...filter } = options;
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new Error(`count: must be a whole number, 0 or more (got ${String(count)})`);
  }
  const matched = await enqueuedList(db, task, filter);
  const wanted = count ?? 1;
  if (matched.length !== wanted) {
    const expected = `expected ${wanted} ${plural(wanted)} ${describe(task, filter)}`;
    throw new Error(`${expected}; found ${matched.length}.\n${await listing(db, task)}`);
  }
  return count === undefined ? (matched[0] as Execution) : matched;
}

/** Asserts that no execution of `task` matches; otherwise throws, listing what was enqueued. */
export async function assertNotEnqueued(
  db: Db,
  task: TaskRef,
  filter: EnqueuedFilter = {},
): Promise<void> {
  const matched = await enqueuedList(db, task, filter);
  if (matched.length > 0) {
    throw new Error(
      `expected no execution ${describe(task, filter)}; found ${matched.length}.\n` +
        (await listing(db, task)),
    );
  }
}

function plural(n: number): string {
  return n === 1 ? "execution" : "executions";
}

/** `of task "x" with payload containing {…}, status queued`. */
function describe(task: TaskRef, filter: EnqueuedFilter): string {
  const parts: string[] = [];
  if (filter.payload !== undefined) {
    parts.push(`payload containing ${JSON.stringify(filter.payload)}`);
  }
  if (filter.status !== undefined) parts.push(`status ${statusesOf(filter.status).join(" or ")}`);
  if (filter.lane !== undefined) parts.push(`lane ${filter.lane}`);
  if (filter.priority !== undefined) parts.push(`priority ${filter.priority}`);
  const name = `of task "${taskNameOf(task)}"`;
  return parts.length === 0 ? name : `${name} with ${parts.join(", ")}`;
}

/** Every execution of the task as the ledger shows it (secret fields "[redacted]"). */
async function listing(db: Db, task: TaskRef): Promise<string> {
  const taskName = taskNameOf(task);
  const all = await executionListRows(db, { task_name: taskName });
  if (all.length === 0) {
    const others = await executionListTaskNames(db, LISTED);
    return others.length === 0
      ? "Nothing was enqueued."
      : `Nothing was enqueued for "${taskName}"; tasks with executions: ${others.join(", ")}.`;
  }
  const lines = all
    .slice(0, LISTED)
    .map(
      (row) =>
        `  ${row.public_id} ${row.status}, lane ${row.lane}, priority ${row.priority}, ` +
        `payload ${JSON.stringify(row.payload)}`,
    );
  if (all.length > LISTED) lines.push(`  … and ${all.length - LISTED} more`);
  return `Enqueued for "${taskName}" (${all.length}):\n${lines.join("\n")}`;
}
