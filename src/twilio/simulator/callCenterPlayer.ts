/**
 * Plays a call center against Switchboard's API the way Twilio and the agents' desks would, so
 * an offline run has real inbound traffic:
 * - callers ring the call queues' numbers at random (Poisson arrivals): Twilio's signed voice
 *   request goes to the number's voice URL, and the `<Enqueue>` of the TwiML answered — parsed,
 *   never assumed — names the Twilio queue, its `action` and its `waitUrl`;
 * - while waiting, the `waitUrl` is requested again each time its TwiML has played;
 * - a caller whose patience runs out hangs up: the `action` gets `QueueResult=hangup`;
 * - an agent on duty has a leg in one call queue: the agent line's voice URL answers
 *   `<Dial><Queue url>NAME</Queue></Dial>`, and the leg waits there for the next caller (as
 *   Twilio's `<Dial><Queue>` does). Bridging requests the `<Queue url>` on the caller's leg; the
 *   two talk for a handle time, hang up, the `action` gets `QueueResult=bridged` (Twilio asks it
 *   when the bridged parties disconnect) and the number's status callback `completed` with
 *   `CallDuration` and `Timestamp`;
 * - the agent wraps up, then their desk says `available` through `POST /api/agents/{id}/state`
 *   (an API token with the `operate` scope) and dials in again. Going on duty is the same;
 *   `stop()` hangs up every live call and the desks say `offline`.
 * Requests are signed with the account's auth token, exactly as Twilio signs them.
 *
 * @example
 * const player = new CallCenterPlayer(setup, { callsPerMinute: 6, agents: 2 });
 * await player.start();
 * …
 * await player.stop();
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../observability/logger.ts";
import {
  type CallCenterOptions,
  CallCenterOptionsError,
  drawSeconds,
  parseCallCenterOptions,
} from "./callCenterOptions.ts";
import { signedCallback } from "./signing.ts";
import { newSid, rfc2822 } from "./state.ts";
import { Timers } from "./timers.ts";
import { firstVerb, parseTwiml, playingSeconds, type TwimlElement } from "./twiml.ts";

export interface CallCenterSetup {
  accountSid: string;
  /** Signs every webhook request, as Twilio signs with the account's auth token. */
  authToken: string;
  /** Where the numbers' webhooks point: Switchboard's public base URL. */
  webhookBaseUrl: string;
  /** Where the agents' desks reach the API, and their token (scope `operate`). */
  apiBaseUrl: string;
  apiToken: string;
  /** The call queues callers ring, each through its own number. */
  callQueues: { name: string; phoneNumber: string }[];
  /** Agents who may go on duty, in order; `options.agents` of them do. */
  agents: { id: number; phoneNumber: string }[];
  /** The number agents dial in to (its voice URL is the agent webhook). */
  agentLineNumber?: string;
  logger?: Logger;
  /** Numbers in [0, 1); `Math.random` unless a test fixes them. */
  random?: () => number;
}

export interface CallCenterStats {
  arrived: number;
  enqueued: number;
  answered: number;
  abandoned: number;
  ended: number;
  /** Requests that failed or were refused, and TwiML that could not be followed. */
  errors: number;
  /** The last few errors, newest last. */
  recentErrors: string[];
}

type Method = "GET" | "POST";
interface Target {
  url: string;
  method: Method;
}

interface Caller {
  sid: string;
  from: string;
  to: string;
  startedAt: number;
  enqueuedAt: number;
  twilioQueue: TwilioQueue;
  action: Target | undefined;
  waitUrl: Target | undefined;
  /** Ends the caller's patience timer and wait loop. */
  stopWaiting: () => void;
  hangUp?: () => void;
}

interface AgentLeg {
  sid: string;
  agent: Agent;
  queueUrl: Target | undefined;
}

interface Agent {
  id: number;
  phoneNumber: string;
  callQueue: string;
  onDuty: boolean;
}

/** Twilio's Queue resource: a call queue's callers as Twilio holds them, by the `<Enqueue>` name. */
interface TwilioQueue {
  name: string;
  sid: string;
  callers: Caller[];
  legs: AgentLeg[];
}

const RECENT_ERRORS = 20;

export class CallCenterPlayer {
  readonly options: CallCenterOptions;
  private readonly setup: CallCenterSetup;
  private readonly random: () => number;
  private readonly timers = new Timers();
  private readonly twilioQueues = new Map<string, TwilioQueue>();
  private readonly agents: Agent[];
  private readonly live = new Set<Caller>();
  private controller = new AbortController();
  private inFlight = 0;
  /** Agents are on duty and callers arrive at random (between `start()` and `stop()`). */
  private running = false;
  /** `stop()` is hanging up: no caller waits and no agent dials in any more. */
  private stopping = false;
  private readonly counts: CallCenterStats = {
    arrived: 0,
    enqueued: 0,
    answered: 0,
    abandoned: 0,
    ended: 0,
    errors: 0,
    recentErrors: [],
  };

  constructor(setup: CallCenterSetup, options: unknown = {}) {
    this.options = parseCallCenterOptions(options);
    this.setup = setup;
    this.random = setup.random ?? Math.random;
    const problems: { field: string; message: string }[] = [];
    if (setup.callQueues.length === 0 && this.options.agents > 0) {
      problems.push({ field: "agents", message: "agents need a call queue to serve" });
    }
    if (this.options.agents > setup.agents.length) {
      problems.push({
        field: "agents",
        message: `${this.options.agents} agents asked, ${setup.agents.length} known`,
      });
    }
    if (typeof this.options.callsPerMinute === "object") {
      for (const name of Object.keys(this.options.callsPerMinute)) {
        if (!setup.callQueues.some((callQueue) => callQueue.name === name)) {
          problems.push({ field: `callsPerMinute.${name}`, message: `no call queue "${name}"` });
        }
      }
    }
    if (problems.length > 0) throw new CallCenterOptionsError(problems);
    this.agents = setup.agents.slice(0, this.options.agents).map((agent, index) => ({
      ...agent,
      callQueue: (setup.callQueues[index % setup.callQueues.length] as { name: string }).name,
      onDuty: false,
    }));
  }

  /** Agents go on duty and callers start arriving. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    for (const callQueue of this.setup.callQueues) this.scheduleArrival(callQueue.name);
    await Promise.all(this.agents.map((agent) => this.goOnDuty(agent)));
  }

  /**
   * A caller rings the call queue's number now (also before `start()`: they wait for an agent);
   * resolves with the call's sid once enqueued.
   */
  async arrive(callQueueName: string): Promise<string> {
    const callQueue = this.setup.callQueues.find((candidate) => candidate.name === callQueueName);
    if (!callQueue) throw new Error(`no call queue "${callQueueName}"`);
    this.counts.arrived += 1;
    const from = `+1555${String(Math.floor(this.random() * 10_000_000)).padStart(7, "0")}`;
    const sid = newSid("CA");
    const startedAt = Date.now();
    const voiceUrl = this.webhook(`voice/inbound?call_queue=${encodeURIComponent(callQueue.name)}`);
    const answer = await this.twiml(
      { url: voiceUrl, method: "POST" },
      { ...this.callParams(sid, from, callQueue.phoneNumber), CallStatus: "ringing" },
    );
    const enqueue = answer && firstVerb(answer, "Enqueue");
    if (!answer || !enqueue?.text) {
      // Twilio plays what there is (an after-hours message, or an application error when the
      // request failed) and hangs up.
      const played = answer ? playingSeconds(answer) : 0;
      this.timers.after(played * 1000, () => {
        void this.statusCompleted({ sid, from, to: callQueue.phoneNumber, startedAt });
      });
      return sid;
    }
    const twilioQueue = this.twilioQueueNamed(enqueue.text);
    const caller: Caller = {
      sid,
      from,
      to: callQueue.phoneNumber,
      startedAt,
      enqueuedAt: Date.now(),
      twilioQueue,
      action: target(enqueue, "action", "method", voiceUrl),
      waitUrl: target(enqueue, "waitUrl", "waitUrlMethod", voiceUrl),
      stopWaiting: () => {},
    };
    this.counts.enqueued += 1;
    this.live.add(caller);
    twilioQueue.callers.push(caller);
    const patience = drawSeconds(this.options.patience, this.random);
    const cancelPatience = this.timers.after(patience * 1000, () => void this.abandon(caller));
    let waiting = true;
    let cancelWait = () => {};
    const playWaitUrl = async () => {
      if (!waiting || !caller.waitUrl) return;
      const position = twilioQueue.callers.indexOf(caller);
      const music = await this.twiml(caller.waitUrl, {
        ...this.callParams(caller.sid, caller.from, caller.to),
        CallStatus: "in-progress",
        QueueSid: twilioQueue.sid,
        QueuePosition: String(position + 1),
        QueueTime: String(secondsSince(caller.enqueuedAt)),
        AvgQueueTime: "0",
        CurrentQueueSize: String(twilioQueue.callers.length),
        MaxQueueSize: "100",
      });
      if (!waiting) return;
      // The waitUrl is requested again once its TwiML has played (at least a second apart).
      const played = Math.max(1, music ? playingSeconds(music) : 0);
      cancelWait = this.timers.after(played * 1000, () => void playWaitUrl());
    };
    caller.stopWaiting = () => {
      waiting = false;
      cancelPatience();
      cancelWait();
    };
    if (this.stopping) {
      // The call center stopped while Twilio was asking for the TwiML: the caller hangs up.
      await this.abandon(caller);
      return sid;
    }
    void playWaitUrl();
    this.match(twilioQueue);
    return sid;
  }

  /** Hangs up every live call, takes the agents off duty (desks say offline), stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    const hangUps: Promise<void>[] = [];
    for (const caller of [...this.live]) {
      if (caller.hangUp) caller.hangUp();
      else hangUps.push(this.abandon(caller));
    }
    await Promise.all(hangUps);
    await this.whenIdle(this.options.requestTimeoutSeconds * 1000).catch(() => {});
    await Promise.all(
      this.agents.filter((agent) => agent.onDuty).map((agent) => this.desk(agent, "offline")),
    );
    for (const agent of this.agents) agent.onDuty = false;
    this.timers.clear();
    this.controller.abort();
    this.controller = new AbortController();
    this.twilioQueues.clear();
  }

  stats(): CallCenterStats {
    return { ...this.counts, recentErrors: [...this.counts.recentErrors] };
  }

  /** Resolves once no request is on the wire and no caller is live (or throws after `timeoutMs`). */
  async whenIdle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 || this.live.size > 0) {
      if (Date.now() > deadline) {
        throw new Error(`the call center is still busy after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private scheduleArrival(callQueueName: string): void {
    const rate = this.rateOf(callQueueName);
    if (!this.running || rate <= 0) return;
    const gapSeconds = -Math.log(1 - this.random()) * (60 / rate);
    this.timers.after(gapSeconds * 1000, () => {
      this.scheduleArrival(callQueueName);
      void this.arrive(callQueueName).catch((error: unknown) => this.error(String(error)));
    });
  }

  private rateOf(callQueueName: string): number {
    const { callsPerMinute } = this.options;
    return typeof callsPerMinute === "number"
      ? callsPerMinute
      : (callsPerMinute[callQueueName] ?? 0);
  }

  private twilioQueueNamed(name: string): TwilioQueue {
    let twilioQueue = this.twilioQueues.get(name);
    if (!twilioQueue) {
      twilioQueue = { name, sid: `QU${randomUUID().replaceAll("-", "")}`, callers: [], legs: [] };
      this.twilioQueues.set(name, twilioQueue);
    }
    return twilioQueue;
  }

  /** The agent's desk says available, then the agent dials in and waits on their call queue. */
  private async goOnDuty(agent: Agent): Promise<void> {
    if (!this.running) return;
    agent.onDuty = true;
    await this.desk(agent, "available");
    if (!this.running) return;
    const sid = newSid("CA");
    const agentLine = this.setup.agentLineNumber ?? "+15005550010";
    const legUrl = this.webhook(
      `voice/agent?call_queue=${encodeURIComponent(agent.callQueue)}&agent_id=${agent.id}`,
    );
    const answer = await this.twiml(
      { url: legUrl, method: "POST" },
      { ...this.callParams(sid, agent.phoneNumber, agentLine), CallStatus: "ringing" },
    );
    const queueNoun = answer && firstVerb(answer, "Dial")?.children.find((n) => n.name === "Queue");
    if (!queueNoun?.text) {
      if (answer) this.error(`the agent TwiML of agent ${agent.id} has no <Dial><Queue>`);
      this.timers.after(this.options.retrySeconds * 1000, () => void this.goOnDuty(agent));
      return;
    }
    if (!this.running) return;
    const twilioQueue = this.twilioQueueNamed(queueNoun.text);
    twilioQueue.legs.push({ sid, agent, queueUrl: target(queueNoun, "url", "method", legUrl) });
    this.match(twilioQueue);
  }

  /** Bridges the longest-waiting caller with the longest-waiting agent, while there are both. */
  private match(twilioQueue: TwilioQueue): void {
    while (!this.stopping && twilioQueue.callers.length > 0 && twilioQueue.legs.length > 0) {
      const caller = twilioQueue.callers.shift() as Caller;
      const leg = twilioQueue.legs.shift() as AgentLeg;
      caller.stopWaiting();
      void this.bridge(caller, leg);
    }
  }

  private async bridge(caller: Caller, leg: AgentLeg): Promise<void> {
    const queueTime = secondsSince(caller.enqueuedAt);
    this.counts.answered += 1;
    if (leg.queueUrl) {
      // Played to the caller just before the two are connected.
      await this.twiml(leg.queueUrl, {
        ...this.callParams(caller.sid, caller.from, caller.to),
        CallStatus: "in-progress",
        QueueSid: caller.twilioQueue.sid,
        QueueTime: String(queueTime),
        DequeingCallSid: leg.sid,
      });
    }
    const talk = drawSeconds(this.options.handleTime, this.random);
    let done = false;
    const hangUp = () => {
      if (done) return;
      done = true;
      cancelTalk();
      void this.endBridged(caller, leg, queueTime);
    };
    const cancelTalk = this.timers.after(talk * 1000, hangUp);
    caller.hangUp = hangUp;
    if (this.stopping) hangUp();
  }

  /** The bridged parties disconnect: the `<Enqueue>` action, the call's end, the agent's wrap-up. */
  private async endBridged(caller: Caller, leg: AgentLeg, queueTime: number): Promise<void> {
    await this.queueResult(caller, "bridged", queueTime);
    await this.statusCompleted(caller);
    this.live.delete(caller);
    if (this.stopping) return;
    const wrapUp = drawSeconds(this.options.wrapUpTime, this.random);
    this.timers.after(wrapUp * 1000, () => void this.goOnDuty(leg.agent));
  }

  private async abandon(caller: Caller): Promise<void> {
    const index = caller.twilioQueue.callers.indexOf(caller);
    if (index < 0) return;
    caller.twilioQueue.callers.splice(index, 1);
    caller.stopWaiting();
    this.counts.abandoned += 1;
    await this.queueResult(caller, "hangup", secondsSince(caller.enqueuedAt));
    await this.statusCompleted(caller);
    this.live.delete(caller);
  }

  private async queueResult(caller: Caller, result: "bridged" | "hangup", queueTime: number) {
    if (!caller.action) return;
    await this.twiml(caller.action, {
      ...this.callParams(caller.sid, caller.from, caller.to),
      CallStatus: result === "hangup" ? "completed" : "in-progress",
      QueueResult: result,
      QueueSid: caller.twilioQueue.sid,
      QueueTime: String(queueTime),
    });
  }

  /** The number's status callback: the call has ended. */
  private async statusCompleted(call: {
    sid: string;
    from: string;
    to: string;
    startedAt: number;
  }) {
    this.counts.ended += 1;
    const now = Date.now();
    const duration = Math.max(1, Math.ceil((now - call.startedAt) / 1000));
    await this.send(
      { url: this.webhook("call-status"), method: "POST" },
      {
        ...this.callParams(call.sid, call.from, call.to),
        CallStatus: "completed",
        CallbackSource: "call-progress-events",
        CallDuration: String(duration),
        Duration: String(Math.ceil(duration / 60)),
        Timestamp: rfc2822(now) as string,
      },
    );
  }

  /** The agent's desk records a change of state through the API. */
  private async desk(agent: Agent, state: "available" | "offline"): Promise<void> {
    const url = `${this.setup.apiBaseUrl}/api/agents/${agent.id}/state`;
    await this.request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.setup.apiToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ state, started_at: new Date().toISOString() }),
    });
  }

  /** Requests TwiML and parses it; `undefined` (an error counted) when that fails. */
  private async twiml(
    to: Target,
    params: Record<string, string>,
  ): Promise<TwimlElement | undefined> {
    const body = await this.send(to, params);
    if (body === undefined) return undefined;
    try {
      return parseTwiml(body);
    } catch (error) {
      this.error(`${to.url}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** A signed webhook request; the response body, or `undefined` when refused or unreachable. */
  private send(to: Target, params: Record<string, string>): Promise<string | undefined> {
    const { url, init } = signedCallback(
      this.setup.authToken,
      to.method,
      to.url,
      params,
      randomUUID(),
    );
    return this.request(url, init);
  }

  private async request(url: string, init: RequestInit): Promise<string | undefined> {
    this.inFlight += 1;
    const signal = AbortSignal.any([
      this.controller.signal,
      AbortSignal.timeout(this.options.requestTimeoutSeconds * 1000),
    ]);
    try {
      const response = await fetch(url, { ...init, signal });
      const body = await response.text();
      if (!response.ok) {
        this.error(`${init.method ?? "GET"} ${url}: ${response.status} ${body.slice(0, 200)}`);
        return undefined;
      }
      return body;
    } catch (error) {
      if (!this.controller.signal.aborted) this.error(`${url}: ${(error as Error).message}`);
      return undefined;
    } finally {
      this.inFlight -= 1;
    }
  }

  private callParams(sid: string, from: string, to: string): Record<string, string> {
    return {
      AccountSid: this.setup.accountSid,
      ApiVersion: "2010-04-01",
      CallSid: sid,
      Direction: "inbound",
      From: from,
      Caller: from,
      To: to,
      Called: to,
    };
  }

  private webhook(path: string): string {
    return `${this.setup.webhookBaseUrl}/webhooks/twilio/${path}`;
  }

  private error(message: string): void {
    this.counts.errors += 1;
    this.counts.recentErrors.push(message);
    if (this.counts.recentErrors.length > RECENT_ERRORS) this.counts.recentErrors.shift();
    this.setup.logger?.warn({ error: message }, "simulated call center: a request failed");
  }
}

/** A URL attribute resolved against the document's URL (TwiML allows relative ones). */
function target(
  verb: TwimlElement,
  urlAttribute: string,
  methodAttribute: string,
  base: string,
): Target | undefined {
  const url = verb.attributes[urlAttribute];
  if (!url) return undefined;
  const method = verb.attributes[methodAttribute]?.toUpperCase() === "GET" ? "GET" : "POST";
  return { url: new URL(url, base).toString(), method };
}

function secondsSince(epochMs: number): number {
  return Math.max(0, Math.round((Date.now() - epochMs) / 1000));
}
