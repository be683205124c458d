/**
 * Starts a Twilio simulator for manual use and prints its URL:
 * `node src/twilio/simulator/main.ts [port]`. Stops on Ctrl-C.
 */
import { createLogger } from "../../observability/logger.ts";
import { TwilioSimulator } from "./simulator.ts";

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write("usage: main.ts [port]  (0 or absent: a free port)\n");
  process.exit(2);
}

const simulator = new TwilioSimulator({
  port,
  logger: createLogger("info"),
  timing: { stepMs: 1000, ringMs: 5000, talkMs: 10_000, recordingMs: 1000, transcriptMs: 2000 },
});
const { url } = await simulator.start();
process.stdout.write(
  `${url}\naccount sid: ${simulator.accountSid}\nauth token: ${simulator.authToken}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.stop().then(() => process.exit(0));
  });
}
