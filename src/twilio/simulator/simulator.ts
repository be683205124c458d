/**
 * A local, Twilio-compatible server for the parts of Twilio Switchboard uses: calls and their
 * lifecycle with signed status callbacks, SMS (Messages, queued → sent → delivered), recordings with real audio, Voice Intelligence
 * transcripts, plus fault injection and an event log for tests. Point the real SDK at it with
 * `createTwilioClient({ accountSid, authToken, simulatorUrl: simulator.url })`.
 *
 * @example
 * const simulator = new TwilioSimulator({ timing: { talkMs: 200 } });
 * const { url } = await simulator.start();
 * simulator.injectFault({ kind: "429", match: { method: "POST", path: "/Calls\\.json$" } });
 * …
 * const { maxConcurrentCalls } = simulator.stats();
 * await simulator.stop();
 */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { createLogger, type Logger } from "../../observability/logger.ts";
import { createSimulatorApp } from "./app.ts";
import { CallbackSender } from "./callbacks.ts";
import type { SimulatorDependencies } from "./dependencies.ts";
import { EventLog, type SimulatorLog, type SimulatorStats } from "./eventLog.ts";
import { type Fault, FaultQueue, type FaultSpec } from "./faults.ts";
import { CallLifecycle } from "./lifecycle.ts";
import { MessageLifecycle } from "./messageLifecycle.ts";
import {
  defaultAccountSid,
  defaultTiming,
  generateSimulatorAuthToken,
  type SimulatorOptions,
  type SimulatorTiming,
} from "./options.ts";
import { type SimulatedCall, type SimulatedMessage, SimulatorState } from "./state.ts";
import { Timers } from "./timers.ts";

export class TwilioSimulator {
  readonly accountSid: string;
  readonly authToken: string;
  readonly timing: SimulatorTiming;
  private readonly host: string;
  private readonly port: number;
  private readonly logger: Logger;
  private readonly state = new SimulatorState();
  private readonly log = new EventLog();
  private readonly timers = new Timers();
  private readonly faults = new FaultQueue();
  private readonly callbacks: CallbackSender;
  private readonly lifecycle: CallLifecycle;
  private readonly messageLifecycle: MessageLifecycle;
  private server: ServerType | undefined;
  private baseUrl: string | undefined;

  constructor(options: SimulatorOptions = {}) {
    this.accountSid = options.accountSid ?? defaultAccountSid;
    this.authToken = options.authToken ?? generateSimulatorAuthToken();
    this.timing = { ...defaultTiming, ...options.timing };
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 0;
    this.logger = (options.logger ?? createLogger("silent")).child({
      component: "twilio-simulator",
    });
    this.callbacks = new CallbackSender({
      authToken: this.authToken,
      log: this.log,
      logger: this.logger,
      timeoutMs: this.timing.callbackTimeoutMs,
    });
    this.lifecycle = new CallLifecycle({
      state: this.state,
      log: this.log,
      timers: this.timers,
      timing: this.timing,
      faults: this.faults,
      callbacks: this.callbacks,
      baseUrl: () => this.url,
    });
    this.messageLifecycle = new MessageLifecycle({
      timers: this.timers,
      timing: this.timing,
      callbacks: this.callbacks,
    });
  }

  /** `http://127.0.0.1:<port>`; throws before `start()`. */
  get url(): string {
    if (!this.baseUrl) throw new Error("the Twilio simulator is not started");
    return this.baseUrl;
  }

  async start(): Promise<{ url: string }> {
    if (this.server) return { url: this.url };
    const deps: SimulatorDependencies = {
      accountSid: this.accountSid,
      authToken: this.authToken,
      timing: this.timing,
      state: this.state,
      log: this.log,
      timers: this.timers,
      faults: this.faults,
      callbacks: this.callbacks,
      lifecycle: this.lifecycle,
      messageLifecycle: this.messageLifecycle,
      logger: this.logger,
      baseUrl: () => this.url,
      reset: () => this.reset(),
    };
    const app = createSimulatorApp(deps);
    const server = await new Promise<ServerType>((resolve, reject) => {
      const started = serve({ fetch: app.fetch, hostname: this.host, port: this.port }, () =>
        resolve(started),
      );
      started.once("error", reject);
    });
    const { port } = server.address() as AddressInfo;
    this.server = server;
    this.baseUrl = `http://${this.host}:${port}`;
    this.logger.info(
      { url: this.baseUrl, accountSid: this.accountSid },
      "Twilio simulator listening",
    );
    return { url: this.baseUrl };
  }

  /** Ends every call timer, held request, callback and connection, then the server. */
  async stop(): Promise<void> {
    this.halt();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
  }

  /** Forgets calls, messages, recordings, transcripts, faults and the log; stops calls in flight. */
  reset(): void {
    this.halt();
    this.state.clear();
    this.faults.clear();
    this.log.clear();
  }

  /** Queues a fault for the next matching requests (or calls); see faults.ts. */
  injectFault(spec: FaultSpec): Fault {
    return this.faults.add(spec);
  }

  pendingFaults(): Fault[] {
    return this.faults.pending();
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Everything logged so far, with `stats`. */
  eventLog(): SimulatorLog {
    return this.log.snapshot();
  }

  stats(): SimulatorStats {
    return this.log.stats();
  }

  /** A copy of a call as the simulator holds it. */
  call(sid: string): SimulatedCall | undefined {
    const call = this.state.calls.get(sid);
    return call && { ...call };
  }

  /** A copy of a message as the simulator holds it. */
  message(sid: string): SimulatedMessage | undefined {
    const message = this.state.messages.get(sid);
    return message && { ...message };
  }

  /** Resolves once no call, recording, transcript or callback is pending (or after `timeoutMs`). */
  async whenIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.timers.pending > 0 || this.callbacks.pending > 0) {
      if (Date.now() > deadline)
        throw new Error(`the Twilio simulator is still busy after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private halt(): void {
    this.timers.clear();
    this.lifecycle.clear();
    this.callbacks.abortAll();
  }
}
