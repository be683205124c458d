import { Command } from "commander";

export const startCommand = new Command("start")
  .description("migrate, then run the API, a worker serving every lane and the scheduler")
  .action(() => import("../actions/start.ts").then((actions) => actions.runStart()));
