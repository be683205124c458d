/**
 * A whole call center for end-to-end tests: the Twilio simulator, the API on a real port (so
 * the simulator's signed callbacks reach the real webhook routes), and a worker with services.
 */
import { afterAll } from "vitest";
import { listen } from "../../src/api/server.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import type { AnyTask } from "../../src/engine/task.ts";
import type { SimulatorTiming } from "../../src/twilio/simulator/options.ts";
import { testApp } from "./app.ts";
import { testDb } from "./database.ts";
import { startTestWorker } from "./engine.ts";
import { startTestServices } from "./services.ts";

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export async function startCallCenter(
  tasks: AnyTask[],
  options: { timing?: Partial<SimulatorTiming>; callsPerSecond?: number; worker?: boolean } = {},
) {
  const { services, simulator, recordingsDir } = await startTestServices(options);
  const registry = new TaskRegistry(tasks);
  const app = testApp(testDb().pool, { registry, twilio: services.twilio });
  const server = await listen(app, "127.0.0.1", 0);
  servers.push(server);
  services.twilio.publicBaseUrl = `http://127.0.0.1:${server.port}`;
  const worker = options.worker === false ? undefined : await startTestWorker(tasks, { services });
  return {
    services,
    simulator,
    recordingsDir,
    registry,
    app,
    base: services.twilio.publicBaseUrl,
    worker,
  };
}
