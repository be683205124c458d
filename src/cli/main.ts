import { Command } from "commander";
import { alertsCommand } from "./commands/alerts.ts";
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
import { monitorCommand } from "./commands/monitor.ts";
import { probeCommand } from "./commands/probe.ts";
import { resultCommand } from "./commands/result.ts";
import { scheduleCommand } from "./commands/schedule.ts";
import { schedulerCommand } from "./commands/scheduler.ts";
import { startCommand } from "./commands/start.ts";
import { tokenCommand } from "./commands/token.ts";
import { userCommand } from "./commands/user.ts";
import { workerCommand } from "./commands/worker.ts";
import { loadDotEnv } from "./dotEnv.ts";

const program = new Command("switchboard")
  .description("Postgres-native background jobs for Twilio call centers")
  .addCommand(startCommand)
  .addCommand(apiCommand)
  .addCommand(workerCommand)
  .addCommand(schedulerCommand)
  .addCommand(migrateCommand)
  .addCommand(demoCommand)
  .addCommand(generateCallsCommand)
  .addCommand(laneCommand)
  .addCommand(cancelCommand)
  .addCommand(retryCommand)
  .addCommand(purgeCommand)
  .addCommand(deadCommand)
  .addCommand(alertsCommand)
  .addCommand(resultCommand)
  .addCommand(tokenCommand)
  .addCommand(userCommand)
  .addCommand(scheduleCommand)
  .addCommand(mailCommand)
  .addCommand(probeCommand)
  .addCommand(monitorCommand);

try {
  loadDotEnv();
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
