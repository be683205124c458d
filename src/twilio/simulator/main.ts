/**
 * Starts a Twilio simulator for manual use, or for processes pointed at it with
 * `TWILIO_SIMULATOR_URL`, and prints its URL: `node src/twilio/simulator/main.ts [port]`.
 * It uses the installation's simulator auth token, as the API verifying its callbacks does.
 * Stops on Ctrl-C.
 */
import { loadConfig } from "../../config.ts";
import { createLogger } from "../../observability/logger.ts";
import { installationSimulatorToken, simulatorTokenFile } from "./installationToken.ts";
import { TwilioSimulator } from "./simulator.ts";

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write("usage: main.ts [port]  (0 or absent: a free port)\n");
  process.exit(2);
}

const config = loadConfig();
const simulator = new TwilioSimulator({
  port,
  authToken: await installationSimulatorToken(config),
  logger: createLogger("info"),
  timing: { stepMs: 1000, ringMs: 5000, talkMs: 10_000, recordingMs: 1000, transcriptMs: 2000 },
});
const { url } = await simulator.start();
process.stdout.write(
  `${url}\naccount sid: ${simulator.accountSid}\nauth token: in ${simulatorTokenFile(config)}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.stop().then(() => process.exit(0));
  });
}
