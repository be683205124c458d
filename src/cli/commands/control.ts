/**
 * Operator commands: pause and resume lanes, cancel and retry executions, purge a lane or a
 * task, list dead ones. What they run is in `../actions/control.ts`, loaded only when one of them
 * runs.
 */
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { unstorableReason } from "../../database/storableText.ts";
import { type LaneName, laneNames } from "../../shared/lanes.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function executionId(value: string): string {
  if (!UUID.test(value)) throw new Error(`execution id: expected a UUID, got "${value}"`);
  return value;
}

const actions = () => import("../actions/control.ts");

const laneArgument = () => new Argument("<lane>", "lane name").choices(laneNames);

export const laneCommand = new Command("lane")
  .description("pause or resume a lane for every worker")
  .addCommand(
    new Command("pause")
      .addArgument(laneArgument())
      .action((lane: LaneName) => actions().then((run) => run.laneSetPaused(lane, true))),
  )
  .addCommand(
    new Command("resume")
      .addArgument(laneArgument())
      .action((lane: LaneName) => actions().then((run) => run.laneSetPaused(lane, false))),
  );

export const cancelCommand = new Command("cancel")
  .description("cancel an execution (a running one is asked to stop)")
  .argument("<execution-id>", "the execution's public id", executionId)
  .action((id: string) => actions().then((run) => run.cancel(id)));

export const retryCommand = new Command("retry")
  .description("run a dead, cancelled or expired execution again")
  .argument("<execution-id>", "the execution's public id", executionId)
  .action((id: string) => actions().then((run) => run.retry(id)));

function taskName(value: string): string {
  const reason = value === "" ? "expected a task name" : unstorableReason(value);
  if (reason) throw new InvalidArgumentError(reason);
  return value;
}

export const purgeCommand = new Command("purge")
  .description(
    "cancel every waiting execution (queued, scheduled, retrying) of a lane, a task, or both",
  )
  .addOption(new Option("--lane <lane>", "the lane to empty").choices(laneNames))
  .option("--task <name>", "the task, known to this version or not", taskName)
  .option("--yes", "purge without asking first")
  .action((options: { lane?: LaneName; task?: string; yes?: boolean }) => {
    if (!options.lane && !options.task) {
      throw new Error("purge: give --lane <lane>, --task <name> or both");
    }
    if (!options.yes && !process.stdin.isTTY) {
      throw new Error("purge: no terminal to confirm on; pass --yes to purge without asking");
    }
    return actions().then((run) => run.purge(options));
  });

export const deadCommand = new Command("dead")
  .description("list dead executions (the dead-letter queue), newest failure first")
  .option("--task <name>", "only this task")
  .option("--limit <n>", "how many", (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1)
      throw new Error("--limit: expected a positive number");
    return Number(value);
  })
  .action((options: { task?: string; limit?: number }) =>
    actions().then((run) => run.listDead(options)),
  );
