import { Command } from "commander";

export const schedulerCommand = new Command("scheduler")
  .description("queue the crontab's jobs when they are due; runs no job itself")
  .action(() => import("../actions/scheduler.ts").then((actions) => actions.runScheduler()));
