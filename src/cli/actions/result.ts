/** What `switchboard result` runs: the API's status lookup and wait, printed for a terminal. */
import { EventHub } from "../../api/events/eventHub.ts";
import { type ExecutionView, toExecutionView } from "../../api/schemas/execution.ts";
import { isTerminalStatus } from "../../engine/executionStatus.ts";
import { executionGetByPublicId } from "../../executions/queries.ts";
import { executionWaitForEnd } from "../../executions/waitForEnd.ts";
import { withRuntime } from "../runtime.ts";

export const resultExitCodes = { succeeded: 0, failed: 1, notEnded: 2 } as const;

export function showResult(id: string, options: { wait?: number; json?: boolean }): Promise<void> {
  return withRuntime("cli", { migrate: false, exitWhenDone: true }, async (runtime) => {
    const { db, pool } = runtime.database;
    let row: Awaited<ReturnType<typeof executionGetByPublicId>>;
    if (options.wait) {
      const hub = new EventHub({ logger: runtime.logger });
      runtime.lifecycle.onStop(() => hub.stop());
      await hub.start(pool);
      // Ctrl-C ends the wait: the command prints where the execution stands and stops.
      const interrupted = new AbortController();
      const interrupt = () => interrupted.abort();
      process.once("SIGINT", interrupt).once("SIGTERM", interrupt);
      row = await executionWaitForEnd(db, hub, id, {
        timeoutMs: options.wait * 1000,
        signal: interrupted.signal,
      });
      process.off("SIGINT", interrupt).off("SIGTERM", interrupt);
    } else {
      row = await executionGetByPublicId(db, id);
    }
    if (!row) {
      process.stderr.write(`switchboard: no execution has id ${id}\n`);
      process.exitCode = resultExitCodes.failed;
      return;
    }
    const view = toExecutionView(row);
    process.stdout.write(options.json ? `${JSON.stringify(view)}\n` : describe(view));
    process.exitCode = !isTerminalStatus(view.status)
      ? resultExitCodes.notEnded
      : view.status === "succeeded"
        ? resultExitCodes.succeeded
        : resultExitCodes.failed;
  });
}

function describe(view: ExecutionView): string {
  const lines: [string, string][] = [
    ["task_id", view.task_id],
    ["task", view.task_name],
    ["status", view.status + (isTerminalStatus(view.status) ? "" : " (not ended)")],
    ["attempts", `${view.attempts} of ${view.max_attempts}`],
  ];
  if (view.progress !== null && !isTerminalStatus(view.status)) {
    const message = view.progress_message ? ` ${view.progress_message}` : "";
    lines.push(["progress", `${view.progress}%${message}`]);
  }
  if (view.finished_at) lines.push(["finished", view.finished_at]);
  if (view.status === "succeeded") lines.push(["result", JSON.stringify(view.result)]);
  if (view.error) lines.push(["error", `${view.error.class}: ${view.error.message ?? ""}`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join("");
}
