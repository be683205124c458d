import { Command } from "commander";

export const migrateCommand = new Command("migrate")
  .description("install graphile-worker's schema and apply pending migrations, then exit")
  .action(() =>
    import("../runtime.ts").then(({ withRuntime }) =>
      withRuntime("migrate", { migrate: true, exitWhenDone: true }, async () => {}),
    ),
  );
