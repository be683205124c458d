/**
 * Drives each call from `queued` to its end on the simulator's timeline (see outcomes.ts), sends
 * the status callbacks it asked for, ends it early on request, and makes its recording.
 */
import type { CallbackSender, CallCallbacks } from "./callbacks.ts";
import type { EventLog } from "./eventLog.ts";
import type { FaultQueue } from "./faults.ts";
import type { SimulatorTiming } from "./options.ts";
import { type LifecycleStep, lifecyclePlan, outcomeFor } from "./outcomes.ts";
import {
  type CallStatus,
  finalCallStatuses,
  newSid,
  rfc2822,
  type SimulatedCall,
  type SimulatorState,
} from "./state.ts";
import type { Timers } from "./timers.ts";

export interface LifecycleDependencies {
  state: SimulatorState;
  log: EventLog;
  timers: Timers;
  timing: SimulatorTiming;
  faults: FaultQueue;
  callbacks: CallbackSender;
  /** The simulator's base URL, for RecordingUrl. */
  baseUrl: () => string;
}

/** The StatusCallbackEvent that reports each status. */
const eventOf: Partial<Record<CallStatus, string>> = {
  initiated: "initiated",
  ringing: "ringing",
  "in-progress": "answered",
};

interface Running {
  cancelNext: () => void;
  callbacks: CallCallbacks;
}

export class CallLifecycle {
  private readonly running = new Map<string, Running>();

  private readonly deps: LifecycleDependencies;

  constructor(deps: LifecycleDependencies) {
    this.deps = deps;
  }

  start(call: SimulatedCall): void {
    const callbacks = this.deps.callbacks.forCall(this.deps.faults.takeForCall());
    const running = { cancelNext: () => {}, callbacks };
    this.running.set(call.sid, running);
    this.schedule(call, running, lifecyclePlan(outcomeFor(call.to), this.deps.timing));
  }

  /**
   * Twilio's `Status` update: `completed` hangs up any live call; `canceled` only one not yet
   * answered. A call hung up before it was answered ends as `canceled`.
   */
  hangUp(call: SimulatedCall, requested: "completed" | "canceled"): void {
    if (finalCallStatuses.has(call.status)) return;
    const answered = call.status === "in-progress";
    if (requested === "canceled" && answered) return;
    this.running.get(call.sid)?.cancelNext();
    this.transition(call, answered ? "completed" : "canceled");
  }

  /** Forgets every call in flight (their timers are cleared by the caller). */
  clear(): void {
    this.running.clear();
  }

  private schedule(call: SimulatedCall, running: Running, steps: LifecycleStep[]): void {
    const [step, ...rest] = steps;
    if (!step) return;
    running.cancelNext = this.deps.timers.after(step.afterMs, () => {
      this.transition(call, step.status);
      this.schedule(call, running, rest);
    });
  }

  private transition(call: SimulatedCall, status: CallStatus): void {
    const at = Date.now();
    const from = call.status;
    call.status = status;
    call.updatedAt = at;
    if (status === "initiated") call.startedAt = at;
    if (status === "in-progress") call.answeredAt = at;
    const final = finalCallStatuses.has(status);
    if (final) {
      call.endedAt = at;
      call.durationSeconds =
        call.answeredAt === undefined ? 0 : Math.max(1, Math.ceil((at - call.answeredAt) / 1000));
    }
    this.deps.log.transition({ callSid: call.sid, from, to: status, at });

    const running = this.running.get(call.sid);
    if (!running) return;
    const event = final ? "completed" : eventOf[status];
    if (call.statusCallback && event && call.statusCallbackEvents.has(event)) {
      running.callbacks.status({
        type: "call-status",
        callSid: call.sid,
        url: call.statusCallback,
        method: call.statusCallbackMethod,
        params: statusParams(call, at),
        status,
      });
    }
    if (!final) return;
    running.callbacks.end();
    if (call.record && call.answeredAt !== undefined) {
      running.cancelNext = this.deps.timers.after(this.deps.timing.recordingMs, () => {
        this.record(call, running.callbacks);
        this.running.delete(call.sid);
      });
    } else {
      this.running.delete(call.sid);
    }
  }

  private record(call: SimulatedCall, callbacks: CallCallbacks): void {
    const recording = {
      sid: newSid("RE"),
      accountSid: call.accountSid,
      callSid: call.sid,
      createdAt: Date.now(),
      startedAt: call.answeredAt ?? call.createdAt,
      durationSeconds: call.durationSeconds ?? 0,
      channels: call.recordingChannels,
    };
    this.deps.state.recordings.set(recording.sid, recording);
    if (!call.recordingStatusCallback) return;
    callbacks.other({
      type: "recording-status",
      callSid: call.sid,
      url: call.recordingStatusCallback,
      method: call.recordingStatusCallbackMethod,
      status: "completed",
      params: {
        AccountSid: call.accountSid,
        CallSid: call.sid,
        RecordingSid: recording.sid,
        RecordingUrl: `${this.deps.baseUrl()}/2010-04-01/Accounts/${call.accountSid}/Recordings/${recording.sid}`,
        RecordingStatus: "completed",
        RecordingDuration: String(recording.durationSeconds),
        RecordingChannels: String(recording.channels),
        RecordingStartTime: rfc2822(recording.startedAt) as string,
        RecordingSource: "OutboundAPI",
        RecordingTrack: "both",
        ErrorCode: "0",
      },
    });
  }
}

function statusParams(call: SimulatedCall, at: number): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: call.accountSid,
    ApiVersion: "2010-04-01",
    CallSid: call.sid,
    CallStatus: call.status,
    Called: call.to,
    Caller: call.from,
    CallbackSource: "call-progress-events",
    Direction: "outbound-api",
    From: call.from,
    Timestamp: rfc2822(at) as string,
    To: call.to,
  };
  if (finalCallStatuses.has(call.status)) {
    const seconds = call.durationSeconds ?? 0;
    params.CallDuration = String(seconds);
    params.Duration = String(Math.ceil(seconds / 60));
  }
  return params;
}
