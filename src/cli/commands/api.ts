import { Command } from "commander";
import { createApp } from "../../api/app.ts";
import { listen } from "../../api/server.ts";
import { type Runtime, withRuntime } from "../runtime.ts";

export async function startApi({ config, database, logger, lifecycle }: Runtime): Promise<void> {
  const app = createApp({ pool: database.pool, logger });
  const server = await listen(app, config.http.host, config.http.port);
  lifecycle.onStop(() => server.close());
  logger.info({ url: `http://${config.http.host}:${server.port}` }, "API listening");
}

export const apiCommand = new Command("api")
  .description("serve the HTTP API only")
  .action(() => withRuntime("api", { migrate: false }, startApi));
