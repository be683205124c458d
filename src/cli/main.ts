import { Command } from "commander";
import { ConfigError } from "../config.ts";
import { apiCommand } from "./commands/api.ts";
import { cancelCommand, deadCommand, laneCommand, retryCommand } from "./commands/control.ts";
import { demoCommand } from "./commands/demo.ts";
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
  .addCommand(laneCommand)
  .addCommand(cancelCommand)
  .addCommand(retryCommand)
  .addCommand(deadCommand)
  .addCommand(tokenCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message =
    error instanceof ConfigError ? error.message : `switchboard: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
