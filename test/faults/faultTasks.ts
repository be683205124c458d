/**
 * The tasks the fault suite's workers run. Each run records itself in `fault_runs` (see
 * `faultTables.ts`) before its code starts and when it settles, so the suite sees which
 * executions ran more than once, in which process, and when a killed worker's jobs started
 * again elsewhere.
 *
 * - `debug_task`: the real task (tasks/debug_task.ts), recorded.
 * - `fault_poison_task`: SIGKILLs its own worker process, every attempt.
 * - `fault_hung_task`: ignores its abort signal and never settles, past a short hard time limit;
 *   while its code runs it keeps `alive_at` fresh, so the suite sees whether it really stopped.
 */
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../src/database/pool.ts";
import { type AnyTask, defineTask, type TaskContext } from "../../src/engine/task.ts";
import debugTask from "../../tasks/debug_task.ts";

/** How often the hung task shows it still runs. */
const ALIVE_EVERY_MS = 250;
/** How long a run keeps trying to write its end while the database is away. */
const FINISH_RETRY_MS = 120_000;

export const hungTimeLimits = { softTimeLimitMs: 1_000, hardTimeLimitMs: 2_000 };

/** The task, whose runs record themselves in `fault_runs`. */
export function recorded<Task extends AnyTask>(task: Task): Task {
  return {
    ...task,
    run: async (payload: unknown, ctx: TaskContext) => {
      const { rows } = await sql<{ id: string }>`
        insert into fault_runs (execution_id, task_name, attempt, pid, started_at)
        values (${ctx.executionId}, ${ctx.taskName}, ${ctx.attempt}, ${process.pid},
                ${new Date()})
        returning id`.execute(ctx.db);
      try {
        return await task.run(payload, ctx);
      } finally {
        await recordFinish(ctx.db, rows[0]?.id as string);
      }
    },
  };
}

/**
 * Writes a run's end before the engine sees the run settle, so a kill after it cannot leave a
 * finished run looking cut short. While the database is away it does not hold the run back:
 * the write is retried in the background (and given up after a while).
 */
async function recordFinish(db: Db, runId: string): Promise<void> {
  const finishedAt = new Date();
  const write = () =>
    sql`update fault_runs set finished_at = ${finishedAt} where id = ${runId}`.execute(db);
  try {
    await write();
  } catch {
    void (async () => {
      const deadline = Date.now() + FINISH_RETRY_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (
          await write().then(
            () => true,
            () => false,
          )
        )
          return;
      }
    })();
  }
}

export const recordedDebugTask = recorded(debugTask);

export const poisonTask = recorded(
  defineTask({
    name: "fault_poison_task",
    lane: "realtime",
    payload: z.object({}),
    run: async () => {
      process.kill(process.pid, "SIGKILL");
      return new Promise<never>(() => {});
    },
  }),
);

export const hungTask = recorded(
  defineTask({
    name: "fault_hung_task",
    lane: "realtime",
    payload: z.object({}),
    maxAttempts: 2,
    ...hungTimeLimits,
    run: (_payload, ctx) => {
      setInterval(() => {
        sql`update fault_runs set alive_at = ${new Date()}
            where execution_id = ${ctx.executionId} and attempt = ${ctx.attempt}
              and pid = ${process.pid}`
          .execute(ctx.db)
          .catch(() => {});
      }, ALIVE_EVERY_MS);
      return new Promise<never>(() => {});
    },
  }),
);

export const faultTasks: AnyTask[] = [recordedDebugTask, poisonTask, hungTask];
