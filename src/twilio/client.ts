/**
 * The Twilio SDK client every part of Switchboard uses. With `simulatorUrl` the real SDK makes
 * real HTTP requests to the local simulator (src/twilio/simulator): a request client rewrites
 * each request's origin (`https://api.twilio.com`, `https://intelligence.twilio.com`, …) to the
 * simulator's, keeping the path and query.
 *
 * @example
 * const client = createTwilioClient({ accountSid, authToken, simulatorUrl: simulator.url });
 * await client.calls.create({ to, from, url, statusCallback });
 */
import { Agent } from "node:http";
import type twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import { twilioSdk } from "./sdk.ts";

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** Base URL of a Twilio-compatible server (the simulator); absent means Twilio itself. */
  simulatorUrl?: string;
  /** Per-request timeout in ms (SDK default 30 000). */
  timeoutMs?: number;
}

/** Sends every SDK request to `baseUrl`, over its own keep-alive agent that `close()` ends. */
function defineSimulatorRequestClient(sdk: typeof twilio) {
  return class SimulatorRequestClient extends sdk.RequestClient {
    private readonly baseUrl: string;
    private readonly agent = new Agent({ keepAlive: true });

    constructor(baseUrl: string, timeoutMs?: number) {
      super({ timeout: timeoutMs });
      this.baseUrl = baseUrl.replace(/\/+$/, "");
      this.axios.defaults.httpAgent = this.agent;
    }

    override request<TData>(options: RequestClient.RequestOptions<TData>) {
      const target = new URL(options.uri);
      return super.request<TData>({
        ...options,
        uri: `${this.baseUrl}${target.pathname}${target.search}`,
      });
    }

    close(): void {
      this.agent.destroy();
    }
  };
}

/** Defined on first use: extending the SDK's `RequestClient` needs the SDK loaded. */
let SimulatorRequestClient: ReturnType<typeof defineSimulatorRequestClient> | undefined;

export function createTwilioClient({
  accountSid,
  authToken,
  simulatorUrl,
  timeoutMs,
}: TwilioClientOptions): twilio.Twilio {
  const sdk = twilioSdk();
  if (!simulatorUrl) return sdk(accountSid, authToken, { timeout: timeoutMs });
  SimulatorRequestClient ??= defineSimulatorRequestClient(sdk);
  return sdk(accountSid, authToken, {
    httpClient: new SimulatorRequestClient(simulatorUrl, timeoutMs),
  });
}

/** Releases the client's sockets (only a simulator client holds its own). */
export function closeTwilioClient(client: twilio.Twilio): void {
  const httpClient = client.httpClient;
  if (SimulatorRequestClient && httpClient instanceof SimulatorRequestClient) httpClient.close();
}
