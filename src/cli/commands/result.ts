/**
 * `switchboard result <execution-id> [--wait <seconds>] [--json]`: an execution's status and
 * result, as seed 001's `get_task_result(task_id, timeout)`. Exits 0 when it succeeded, 1 when it
 * ended otherwise (or no execution has the id), 2 when it has not ended yet.
 */
import { Command, InvalidArgumentError } from "commander";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A day: the wait is one LISTEN connection, not a loop over the ledger. */
export const MAX_RESULT_WAIT_SECONDS = 86_400;

function executionId(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError(`expected a UUID, got "${value}"`);
  return value;
}

function waitSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds > MAX_RESULT_WAIT_SECONDS) {
    throw new InvalidArgumentError(
      `expected a number of seconds from 0 to ${MAX_RESULT_WAIT_SECONDS}, got "${value}"`,
    );
  }
  return seconds;
}

export const resultCommand = new Command("result")
  .description("print an execution's status and result, waiting for it to end with --wait")
  .argument("<execution-id>", "the execution's public id (the task id)", executionId)
  .option("--wait <seconds>", "wait up to this many seconds for the execution to end", waitSeconds)
  .option("--json", "print the execution as the API gives it, as JSON")
  .action((id: string, options: { wait?: number; json?: boolean }) =>
    import("../actions/result.ts").then((run) => run.showResult(id, options)),
  );
