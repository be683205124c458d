/**
 * What `switchboard start` runs: migrations, the API, a worker of every lane and the scheduler,
 * and — offline, without Twilio credentials — the simulated call center.
 */
import { openServices } from "../openServices.ts";
import { withRuntime } from "../runtime.ts";
import { startSimulatedCallCenter } from "../simulatedCallCenter.ts";
import { startApi } from "./api.ts";
import { startWorkerProcess } from "./worker.ts";

export function runStart(): Promise<void> {
  return withRuntime("switchboard", {}, async (runtime) => {
    const services = await openServices(runtime);
    const port = await startApi(runtime, services);
    // Twilio calls back on the port actually bound (PORT=0 picks one) unless told otherwise.
    if (!runtime.config.twilio.publicBaseUrl) {
      services.twilio.publicBaseUrl = `http://${runtime.config.http.host}:${port}`;
    }
    await startWorkerProcess(runtime, { type: "all", scheduler: true, services });
    await startSimulatedCallCenter(runtime, services, `http://${runtime.config.http.host}:${port}`);
  });
}
