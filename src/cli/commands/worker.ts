import { Command, Option } from "commander";
import { type WorkerType, workerTypes } from "../../shared/lanes.ts";

export const workerCommand = new Command("worker")
  .description("run a worker serving the lanes of one worker type")
  .addOption(
    new Option("-t, --type <type>", "worker type (default: WORKER_TYPE, else all)").choices(
      workerTypes,
    ),
  )
  .option("--scheduler", "also run the crontab scheduler in this process", false)
  .action((options: { type?: WorkerType; scheduler: boolean }) =>
    import("../actions/worker.ts").then((actions) => actions.runWorker(options)),
  );
