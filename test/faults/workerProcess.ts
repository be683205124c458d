/**
 * A worker process of the fault suite: what `switchboard worker` runs (`startWorkerProcess`
 * in src/cli/actions/worker.ts), with the settings of its configuration — the suite starts it with
 * no worker setting in its environment, so the engine's defaults — serving the suite's tasks
 * (faultTasks.ts) instead of the application's. Logs JSON lines on stdout; "fault worker ready"
 * once it serves jobs, and a line saying it recycles before a planned exit (code 0) that its
 * supervisor answers with a fresh process.
 */
import { startWorkerProcess } from "../../src/cli/actions/worker.ts";
import { withRuntime } from "../../src/cli/runtime.ts";
import { faultTasks } from "./faultTasks.ts";

await withRuntime("worker", { migrate: false }, async (runtime) => {
  const worker = await startWorkerProcess(runtime, {
    type: "all",
    scheduler: false,
    tasks: faultTasks,
  });
  runtime.logger.info({ workerId: worker.id }, "fault worker ready");
});
