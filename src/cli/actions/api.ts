/** What `switchboard api` runs, and the API that `start` and `demo` serve too. */
import { tasks } from "../../../tasks/index.ts";
import { createApp } from "../../api/app.ts";
import { EventHub } from "../../api/events/eventHub.ts";
import { listen } from "../../api/server.ts";
import type { CallCenterServices } from "../../callCenter/services.ts";
import { createPool } from "../../database/pool.ts";
import { loadCrontab } from "../../engine/crontab.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { simulatorTokenFile } from "../../twilio/simulator/installationToken.ts";
import { openServices } from "../openServices.ts";
import { type Runtime, withRuntime } from "../runtime.ts";
import { keepRequestGarbageYoung } from "../youngRequestGarbage.ts";

/** Serves the API; returns the port it listens on. */
export async function startApi(
  { config, database, logger, lifecycle }: Runtime,
  services: CallCenterServices,
): Promise<number> {
  if (services.twilio.simulated) {
    logger.warn(
      { file: simulatorTokenFile(config) },
      "Twilio webhooks are verified with the local simulator's auth token (no TWILIO_ACCOUNT_SID " +
        "set): real Twilio callbacks will be refused, and forging one takes the secret in the " +
        "file named here. Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to take real callbacks.",
    );
  }
  const hub = new EventHub({ logger });
  const rateLimitPool = createPool(database.url, 4, { synchronous_commit: "off" });
  lifecycle.onStop(() => rateLimitPool.end());
  await hub.start(database.pool);
  const registry = new TaskRegistry(tasks);
  const app = createApp({
    pool: database.pool,
    logger,
    registry,
    hub,
    rateLimitPool,
    twilio: services.twilio,
    services,
    schedule: await loadCrontab(config.crontabFile, registry, {
      localTimeZone: config.reportTimeZone,
    }),
    settings: {
      ...config.api,
      silentAfterMs: config.worker.silentAfterMs,
      laneConcurrency: config.worker.laneConcurrency,
    },
  });
  const server = await listen(app, config.http.host, config.http.port);
  lifecycle.onStop(() => server.close());
  // Registered last so it runs first: open event streams would hold the server's close open.
  lifecycle.onStop(() => hub.stop());
  const url = `http://${config.http.host}:${server.port}`;
  logger.info({ url }, "API listening");
  logger.info({ url: `${url}/dashboard` }, "dashboard: open this address in a browser");
  const users = await database.db
    .selectFrom("dashboard_users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst()
    .catch(() => undefined);
  if (users && Number(users.n) === 0) {
    logger.info(
      "no dashboard user yet: create one with `npm run switchboard -- user create --name admin --scope admin`, or sign in with an API token (`switchboard token create`)",
    );
  }
  return server.port;
}

/** `switchboard api`. */
export function runApi(): Promise<void> {
  keepRequestGarbageYoung();
  return withRuntime("api", { migrate: false }, async (runtime) => {
    await startApi(runtime, await openServices(runtime));
  });
}
