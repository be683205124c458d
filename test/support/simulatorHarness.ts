/**
 * One simulator, one SDK client pointed at it and one callback receiver per test, all closed
 * after the test.
 */
import type twilio from "twilio";
import { afterEach, beforeEach } from "vitest";
import { closeTwilioClient, createTwilioClient } from "../../src/twilio/client.ts";
import type { SimulatorOptions } from "../../src/twilio/simulator/options.ts";
import { TwilioSimulator } from "../../src/twilio/simulator/simulator.ts";
import { type CallbackReceiver, startCallbackReceiver } from "./callbackReceiver.ts";

export interface SimulatorHarness {
  simulator: TwilioSimulator;
  client: twilio.Twilio;
  receiver: CallbackReceiver;
}

export const AGENT = "+15005550006";
/** A number whose call is answered and completes (see outcomes.ts). */
export const CUSTOMER = "+15551234567";

export function useSimulator(options: SimulatorOptions = {}, clientTimeoutMs?: number) {
  const harness = {} as SimulatorHarness;
  beforeEach(async () => {
    harness.simulator = new TwilioSimulator(options);
    const { url } = await harness.simulator.start();
    harness.client = createTwilioClient({
      accountSid: harness.simulator.accountSid,
      authToken: harness.simulator.authToken,
      simulatorUrl: url,
      timeoutMs: clientTimeoutMs,
    });
    harness.receiver = await startCallbackReceiver();
  });
  afterEach(async () => {
    closeTwilioClient(harness.client);
    await harness.simulator.stop();
    await harness.receiver.close();
  });
  return harness;
}
