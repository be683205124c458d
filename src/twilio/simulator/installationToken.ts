/**
 * The simulator's auth token of this installation, generated once into `simulator.token`
 * beside the other local secrets (`.switchboard/` by default). Every process of the
 * installation uses it: the simulator to check credentials and sign callbacks, the API to
 * verify those callbacks. No well-known token is ever trusted.
 */
import type { Config } from "../../config.ts";
import { localSecretPath, readOrCreateLocalSecret } from "../../shared/localSecrets.ts";
import { generateSimulatorAuthToken } from "./options.ts";

export function simulatorTokenFile(config: Pick<Config, "recordings">): string {
  return localSecretPath(config, "simulator.token");
}

export function installationSimulatorToken(config: Pick<Config, "recordings">): Promise<string> {
  return readOrCreateLocalSecret(simulatorTokenFile(config), generateSimulatorAuthToken);
}
