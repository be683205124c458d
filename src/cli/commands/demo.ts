import { Command } from "commander";

export const demoCommand = new Command("demo")
  .description("run the whole stack, seed agents and call queues, and run a small campaign")
  .option("--exit", "exit once the campaign has finished", false)
  .action((options: { exit: boolean }) =>
    import("../actions/demo.ts").then((actions) => actions.runDemo(options)),
  );
