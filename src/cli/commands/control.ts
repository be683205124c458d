/**
 * Operator commands: pause and resume lanes, cancel and retry executions, list dead ones. The
 * actions are the API's (`src/control`), audited the same way with the actor `cli:<os user>`.
 */
import { Argument, Command } from "commander";
import { tasks } from "../../../tasks/index.ts";
import { executionCancel } from "../../control/cancel.ts";
import { lanePause, laneResume } from "../../control/lane.ts";
import { executionRetry } from "../../control/retry.ts";
import { isoMillis } from "../../database/timestamps.ts";
import { type LaneName, laneNames } from "../../engine/lanes.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { executionListDead } from "../../executions/queries.ts";
import { cliOperator } from "../operator.ts";
import { withRuntime } from "../runtime.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function executionId(value: string): string {
  if (!UUID.test(value)) throw new Error(`execution id: expected a UUID, got "${value}"`);
  return value;
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const oneShot = { migrate: false, exitWhenDone: true };

const laneArgument = () => new Argument("<lane>", "lane name").choices(laneNames);

export const laneCommand = new Command("lane")
  .description("pause or resume a lane for every worker")
  .addCommand(
    new Command("pause").addArgument(laneArgument()).action((lane: LaneName) =>
      withRuntime("cli", oneShot, async ({ database }) => {
        await lanePause(database.db, { lane, ...cliOperator() });
        print({ lane, paused: true });
      }),
    ),
  )
  .addCommand(
    new Command("resume").addArgument(laneArgument()).action((lane: LaneName) =>
      withRuntime("cli", oneShot, async ({ database }) => {
        await laneResume(database.db, { lane, ...cliOperator() });
        print({ lane, paused: false });
      }),
    ),
  );

export const cancelCommand = new Command("cancel")
  .description("cancel an execution (a running one is asked to stop)")
  .argument("<execution-id>", "the execution's public id", executionId)
  .action((id: string) =>
    withRuntime("cli", oneShot, async ({ database }) => {
      const outcome = await executionCancel(database.db, { publicId: id, ...cliOperator() });
      print({ id, outcome });
      if (outcome === "not_found") process.exitCode = 1;
    }),
  );

export const retryCommand = new Command("retry")
  .description("run a dead, cancelled or expired execution again")
  .argument("<execution-id>", "the execution's public id", executionId)
  .action((id: string) =>
    withRuntime("cli", oneShot, async ({ database }) => {
      const registry = new TaskRegistry(tasks);
      const outcome = await executionRetry(database.db, registry, {
        publicId: id,
        ...cliOperator(),
      });
      print({ id, outcome });
      if (outcome !== "retried") process.exitCode = 1;
    }),
  );

export const deadCommand = new Command("dead")
  .description("list dead executions (the dead-letter queue), newest failure first")
  .option("--task <name>", "only this task")
  .option("--limit <n>", "how many", (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1)
      throw new Error("--limit: expected a positive number");
    return Number(value);
  })
  .action((options: { task?: string; limit?: number }) =>
    withRuntime("cli", oneShot, async ({ database }) => {
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
    }),
  );
