/**
 * What `switchboard demo` runs: the whole stack, a seeded call center, a small campaign and —
 * offline — the simulated call center's inbound callers.
 */
import { tasks } from "../../../tasks/index.ts";
import { createApiToken } from "../../api/auth/tokens.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { inboundSummary, runDemoCampaign, seedCallCenter } from "../demo.ts";
import { openServices } from "../openServices.ts";
import { withRuntime } from "../runtime.ts";
import { startSimulatedCallCenter } from "../simulatedCallCenter.ts";
import { startApi } from "./api.ts";
import { startWorkerProcess } from "./worker.ts";

export function runDemo(options: { exit: boolean }): Promise<void> {
  return withRuntime("demo", { migrate: true }, async (runtime) => {
    const { config, database, logger, lifecycle } = runtime;
    const services = await openServices(runtime);
    const port = await startApi(runtime, services);
    if (!config.twilio.publicBaseUrl) {
      services.twilio.publicBaseUrl = `http://${config.http.host}:${port}`;
    }
    await startWorkerProcess(runtime, { type: "all", scheduler: true, services });
    await seedCallCenter(database.db);
    const api = `http://${config.http.host}:${port}`;
    const player = await startSimulatedCallCenter(runtime, services, api);
    const { token } = await createApiToken(database.db, {
      name: `demo-${Date.now()}`,
      scopes: ["admin"],
    });
    const bulkCalls = new TaskRegistry(tasks).get("queue_bulk_calls");
    if (!bulkCalls) throw new Error("the queue_bulk_calls task is not registered");
    const campaignId = await runDemoCampaign(database.db, bulkCalls, logger);
    const inbound = player ? await inboundSummary(database.db) : undefined;
    process.stdout.write(
      [
        "",
        `Demo campaign ${campaignId} finished.`,
        `An admin API token for this demo (shown once): ${token}`,
        `  curl -H "Authorization: Bearer ${token}" ${api}/api/campaigns/${campaignId}`,
        `  curl -H "Authorization: Bearer ${token}" ${api}/api/tasks/health/queues/`,
        `  open ${api}/api/docs (with the token)`,
        ...(inbound
          ? [
              "",
              `Simulated inbound calls so far: ${inbound.total} (${inbound.byOutcome}); callers keep ringing the call queues support, sales and billing.`,
              `  curl -H "Authorization: Bearer ${token}" "${api}/api/calls?direction=inbound"`,
              ...(inbound.latestSid
                ? [
                    `  curl -H "Authorization: Bearer ${token}" ${api}/api/calls/${inbound.latestSid}`,
                  ]
                : []),
            ]
          : []),
        "",
      ].join("\n"),
    );
    if (options.exit) {
      await lifecycle.stop();
      process.exit(0);
    }
  });
}
