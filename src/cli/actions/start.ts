/**
 * What `switchboard start` runs: migrations, the API, a worker of every lane and the scheduler,
 * and — offline, without Twilio credentials — the simulated call center. The worker runs in a
 * child process that is replaced when it recycles, so the API stays up (workerSupervisor.ts).
 */
import { openServices } from "../openServices.ts";
import { withRuntime } from "../runtime.ts";
import { startSimulatedCallCenter } from "../simulatedCallCenter.ts";
import { superviseWorker } from "../workerSupervisor.ts";
import { startApi } from "./api.ts";

export function runStart(): Promise<void> {
  return withRuntime("switchboard", {}, async (runtime) => {
    const services = await openServices(runtime);
    const port = await startApi(runtime, services);
    // Twilio calls back on the port actually bound (PORT=0 picks one) unless told otherwise.
    if (!runtime.config.twilio.publicBaseUrl) {
      services.twilio.publicBaseUrl = `http://${runtime.config.http.host}:${port}`;
    }
    // The worker uses this process's database (the embedded server included), Twilio simulator
    // and webhook address.
    superviseWorker(runtime, {
      DATABASE_URL: runtime.database.url,
      PUBLIC_BASE_URL: services.twilio.publicBaseUrl,
      ...(services.simulatorUrl ? { TWILIO_SIMULATOR_URL: services.simulatorUrl } : {}),
    });
    await startSimulatedCallCenter(runtime, services, `http://${runtime.config.http.host}:${port}`);
  });
}
