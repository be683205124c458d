/**
 * What the operator commands run. The actions are the API's (`src/control`), audited the same
 * way with the actor `cli:<os user>`.
 */
import { tasks } from "../../../tasks/index.ts";
import { executionCancel } from "../../control/cancel.ts";
import { lanePause, laneResume } from "../../control/lane.ts";
import { executionPurge } from "../../control/purge.ts";
import { executionRetry } from "../../control/retry.ts";
import { isoMillis } from "../../database/timestamps.ts";
import { purgeCount } from "../../engine/control/purge.ts";
import type { LaneName } from "../../engine/lanes.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { executionListDead } from "../../executions/queries.ts";
import { confirm } from "../confirm.ts";
import { cliOperator } from "../operator.ts";
import { withRuntime } from "../runtime.ts";

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const oneShot = { migrate: false, exitWhenDone: true };

/** `switchboard lane pause|resume <lane>`. */
export function laneSetPaused(lane: LaneName, paused: boolean): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const action = { lane, ...cliOperator() };
    await (paused ? lanePause(database.db, action) : laneResume(database.db, action));
    print({ lane, paused });
  });
}

/** `switchboard cancel <id>`: exits 1 for an unknown id. */
export function cancel(id: string): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const outcome = await executionCancel(database.db, { publicId: id, ...cliOperator() });
    print({ id, outcome });
    if (outcome === "not_found") process.exitCode = 1;
  });
}

/** `switchboard retry <id>`: exits 1 whenever it did not retry. */
export function retry(id: string): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const registry = new TaskRegistry(tasks);
    const outcome = await executionRetry(database.db, registry, {
      publicId: id,
      ...cliOperator(),
    });
    print({ id, outcome });
    if (outcome !== "retried") process.exitCode = 1;
  });
}

/**
 * `switchboard purge --lane L | --task T [--yes]`: asks first unless `--yes`, shows progress on
 * stderr after each batch, prints the totals; exits 1 when not confirmed.
 */
export function purge(options: { lane?: LaneName; task?: string; yes?: boolean }): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const selection = { lane: options.lane, taskName: options.task };
    const waiting = await purgeCount(database.db, selection);
    const what = [options.lane && `lane ${options.lane}`, options.task && `task ${options.task}`]
      .filter(Boolean)
      .join(" and ");
    if (!options.yes && !(await confirm(`Cancel the ${waiting} waiting executions of ${what}?`))) {
      process.stderr.write("purge: not confirmed; nothing changed\n");
      process.exitCode = 1;
      return;
    }
    let shown = 0;
    const report = await executionPurge(database.db, {
      ...selection,
      ...cliOperator(),
      onProgress: ({ cancelled, cancelRequested }) => {
        const done = cancelled + cancelRequested;
        if (done > shown) process.stderr.write(`purge: ${done} of ${waiting}\n`);
        shown = done;
      },
    });
    print({
      lane: options.lane ?? null,
      task: options.task ?? null,
      cancelled: report.cancelled,
      cancelRequested: report.cancelRequested,
      auditId: report.auditId,
    });
  });
}

/** `switchboard dead`: the dead-letter queue, newest failure first. */
export function listDead(options: { task?: string; limit?: number }): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const page = await executionListDead(database.db, {
      filters: { task_name: options.task },
      limit: Math.min(options.limit ?? 50, 500),
    });
    for (const row of page.rows) {
      print({
        id: row.public_id,
        task: row.task_name,
        attempts: row.attempts,
        finishedAt: isoMillis(row.finished_at),
        error: row.error_class ? `${row.error_class}: ${row.error_message}` : null,
      });
    }
  });
}
