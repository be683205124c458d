import { Command } from "commander";
import { withRuntime } from "../runtime.ts";

export const migrateCommand = new Command("migrate")
  .description("install graphile-worker's schema and apply pending migrations, then exit")
  .action(() => withRuntime("migrate", { migrate: true, exitWhenDone: true }, async () => {}));
