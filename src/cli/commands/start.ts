import { Command } from "commander";
import { withRuntime } from "../runtime.ts";
import { startApi } from "./api.ts";
import { startWorkerProcess } from "./worker.ts";

export const startCommand = new Command("start")
  .description("migrate, then run the API, a worker serving every lane and the scheduler")
  .action(() =>
    withRuntime("switchboard", {}, async (runtime) => {
      await startWorkerProcess(runtime, { type: "all", scheduler: true });
      await startApi(runtime);
    }),
  );
