import { Command } from "commander";

export const scheduleCommand = new Command("schedule")
  .description("list the crontab's entries with their time zone, next run and last run")
  .option("--json", "print JSON instead of a table", false)
  .action((options: { json: boolean }) =>
    import("../actions/schedule.ts").then((actions) => actions.printSchedule(options)),
  );
