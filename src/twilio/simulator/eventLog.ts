/**
 * What happened in the simulator, for tests to read: calls and messages created, status
 * transitions, API requests (with the fault applied, if any) and callbacks sent. Times are epoch ms.
 * `stats()` answers "how fast were calls placed" and "how many were live at once".
 */
import type { FaultKind } from "./faults.ts";
import { type CallStatus, finalCallStatuses } from "./state.ts";

export interface CallCreatedEntry {
  sid: string;
  to: string;
  from: string;
  createdAt: number;
}

export interface MessageCreatedEntry {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  createdAt: number;
}

export interface TransitionEntry {
  callSid: string;
  from: CallStatus;
  to: CallStatus;
  at: number;
}

export interface RequestEntry {
  at: number;
  method: string;
  path: string;
  status: number;
  fault?: FaultKind;
}

export interface CallbackEntry {
  at: number;
  type: "call-status" | "recording-status" | "message-status";
  /** The call a call's or recording's callback is about. */
  callSid?: string;
  /** The message a `message-status` callback is about. */
  messageSid?: string;
  url: string;
  /** CallStatus or RecordingStatus sent. */
  status: string;
  sequenceNumber?: number;
  /** The receiver's answer; absent when it could not be reached (see `error`). */
  responseStatus?: number;
  error?: string;
  duplicate?: boolean;
}

export interface SimulatorStats {
  callsCreated: number;
  /** Most calls created within any one-second window. */
  maxCallsCreatedPerSecond: number;
  /** Most calls live at once: created and not yet ended (queued, ringing or in progress). */
  maxConcurrentCalls: number;
  /** Most calls answered and not yet ended at once (status `in-progress`). */
  maxInProgress: number;
}

export interface SimulatorLog {
  calls: CallCreatedEntry[];
  messages: MessageCreatedEntry[];
  transitions: TransitionEntry[];
  requests: RequestEntry[];
  callbacks: CallbackEntry[];
  stats: SimulatorStats;
}

export class EventLog {
  private calls: CallCreatedEntry[] = [];
  private messages: MessageCreatedEntry[] = [];
  private transitions: TransitionEntry[] = [];
  private requests: RequestEntry[] = [];
  private callbacks: CallbackEntry[] = [];

  callCreated(entry: CallCreatedEntry): void {
    this.calls.push(entry);
  }

  messageCreated(entry: MessageCreatedEntry): void {
    this.messages.push(entry);
  }

  transition(entry: TransitionEntry): void {
    this.transitions.push(entry);
  }

  request(entry: RequestEntry): void {
    this.requests.push(entry);
  }

  callback(entry: CallbackEntry): void {
    this.callbacks.push(entry);
  }

  snapshot(): SimulatorLog {
    return {
      calls: [...this.calls],
      messages: [...this.messages],
      transitions: [...this.transitions],
      requests: [...this.requests],
      callbacks: [...this.callbacks],
      stats: this.stats(),
    };
  }

  stats(): SimulatorStats {
    const created = this.calls.map((call) => call.createdAt).sort((a, b) => a - b);
    let maxPerSecond = 0;
    for (let start = 0, end = 0; end < created.length; end++) {
      while ((created[end] as number) - (created[start] as number) >= 1000) start++;
      maxPerSecond = Math.max(maxPerSecond, end - start + 1);
    }
    const live = this.calls.map((call) => ({ at: call.createdAt, delta: 1 }));
    const inProgress: { at: number; delta: number }[] = [];
    for (const { from, to, at } of this.transitions) {
      if (finalCallStatuses.has(to)) live.push({ at, delta: -1 });
      if (to === "in-progress") inProgress.push({ at, delta: 1 });
      if (from === "in-progress") inProgress.push({ at, delta: -1 });
    }
    return {
      callsCreated: created.length,
      maxCallsCreatedPerSecond: maxPerSecond,
      maxConcurrentCalls: peak(live),
      maxInProgress: peak(inProgress),
    };
  }

  clear(): void {
    this.calls = [];
    this.messages = [];
    this.transitions = [];
    this.requests = [];
    this.callbacks = [];
  }
}

/** The highest running sum; at equal times an end counts before a start. */
function peak(changes: { at: number; delta: number }[]): number {
  const sorted = [...changes].sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let highest = 0;
  for (const { delta } of sorted) {
    current += delta;
    highest = Math.max(highest, current);
  }
  return highest;
}
