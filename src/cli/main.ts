import { Command } from "commander";
import { apiCommand } from "./commands/api.ts";
import {
  cancelCommand,
  deadCommand,
  laneCommand,
  purgeCommand,
  retryCommand,
} from "./commands/control.ts";
import { demoCommand } from "./commands/demo.ts";
import { generateCallsCommand } from "./commands/generateCalls.ts";
import { mailCommand } from "./commands/mail.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { startCommand } from "./commands/start.ts";
import { tokenCommand } from "./commands/token.ts";
import { workerCommand } from "./commands/worker.ts";

const program = new Command("switchboard")
  .description("Postgres-native background jobs for Twilio call centers")
  .addCommand(startCommand)
  .addCommand(apiCommand)
  .addCommand(workerCommand)
  .addCommand(migrateCommand)
  .addCommand(demoCommand)
  .addCommand(generateCallsCommand)
  .addCommand(laneCommand)
  .addCommand(cancelCommand)
  .addCommand(retryCommand)
  .addCommand(purgeCommand)
  .addCommand(deadCommand)
  .addCommand(tokenCommand)
  .addCommand(mailCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A ConfigError already names every bad variable; config.ts is only loaded by the commands.
  const message =
    (error as Error).name === "ConfigError"
      ? (error as Error).message
      : `switchboard: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
