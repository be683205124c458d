/**
 * The simulated call center of an offline run (`start`, `demo`): with no Twilio credentials and
 * `SIMULATED_INBOUND_CALLS_PER_MINUTE` above 0, callers ring the seeded call queues and
 * simulated agents answer them, through the same signed webhooks and agent-state API a real
 * deployment uses (src/twilio/simulator/callCenterPlayer.ts). The agents' desks get an API token
 * of their own (scope `operate`), revoked when the process stops.
 */
import { sql } from "kysely";
import { createApiToken, revokeApiToken } from "../api/auth/tokens.ts";
import type { CallCenterServices } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import { CallCenterPlayer } from "../twilio/simulator/callCenterPlayer.ts";
import { demoCallQueues, seedCallCenter } from "./demo.ts";
import type { Runtime } from "./runtime.ts";

const DESK_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;

/** Starts the simulated call center, or returns `undefined` when it is off. */
export async function startSimulatedCallCenter(
  runtime: Runtime,
  services: CallCenterServices,
  apiBaseUrl: string,
): Promise<CallCenterPlayer | undefined> {
  const { config, database, logger, lifecycle } = runtime;
  const settings = config.simulatedCallCenter;
  if (config.twilio.credentials || !services.twilio.simulated || settings.callsPerMinute === 0) {
    return undefined;
  }
  const db = database.db;
  await seedCallCenter(db);
  const agents = await agentsOnDuty(db, settings.agents);
  const name = `simulated-agent-desks-${Date.now()}-${process.pid}`;
  const { token } = await createApiToken(db, {
    name,
    scopes: ["operate"],
    expiresInSeconds: DESK_TOKEN_LIFETIME_SECONDS,
  });
  const player = new CallCenterPlayer(
    {
      accountSid: services.twilio.accountSid,
      authToken: services.twilio.authToken,
      webhookBaseUrl: services.twilio.publicBaseUrl,
      apiBaseUrl,
      apiToken: token,
      callQueues: demoCallQueues.map((callQueue, index) => ({
        name: callQueue,
        phoneNumber: `+1500555020${index + 1}`,
      })),
      agents,
      logger: logger.child({ component: "simulated-call-center" }),
    },
    { callsPerMinute: settings.callsPerMinute, agents: settings.agents },
  );
  // Registered last, so it stops first: the desks still reach the API to say offline.
  lifecycle.onStop(async () => {
    await player.stop();
    await revokeApiToken(db, name);
  });
  await player.start();
  logger.info(
    {
      callQueues: demoCallQueues,
      agents: agents.length,
      callsPerMinute: settings.callsPerMinute,
    },
    "simulated call center: callers ring the call queues (SIMULATED_INBOUND_CALLS_PER_MINUTE=0 turns it off)",
  );
  return player;
}

/**
 * The first `count` agents with a phone number, by id; agents `Simulated agent 007`… are added
 * (idempotently) when there are not enough.
 */
async function agentsOnDuty(db: Db, count: number) {
  const existing = await agentsWithPhones(db, count);
  if (existing.length < count) {
    await sql`
      insert into agents (name, email, phone_number, status)
      select format('Simulated agent %s', lpad(n::text, 3, '0')),
             format('simulated-agent-%s@example.com', lpad(n::text, 3, '0')),
             format('+1555011%s', lpad(n::text, 4, '0')), 'offline'
      from generate_series(1, ${count}::int) as n
      on conflict (email) do nothing`.execute(db);
  }
  return agentsWithPhones(db, count);
}

async function agentsWithPhones(db: Db, count: number) {
  const rows = await db
    .selectFrom("agents")
    .select(["id", "phone_number"])
    .where("phone_number", "is not", null)
    .orderBy("id")
    .limit(count)
    .execute();
  return rows.map((row) => ({ id: row.id, phoneNumber: row.phone_number as string }));
}
