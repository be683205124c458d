/**
 * Drives each SMS from `queued` (or `accepted`, through a Messaging Service) to its end on the
 * simulator's timeline, one `stepMs` per step, and sends its StatusCallback at every change,
 * signed like a call's. How it ends is chosen by the last four digits of `To`:
 *
 * | `To` ends in | statuses after creation            | ErrorCode |
 * |--------------|------------------------------------|-----------|
 * | `0002`       | sent → undelivered                 | 30003     |
 * | `0003`       | failed                             | 30008     |
 * | anything else| sent → delivered                   |           |
 */
import type { CallbackSender, CallCallbacks } from "./callbacks.ts";
import type { SimulatorTiming } from "./options.ts";
import { finalMessageStatuses, type MessageStatus, type SimulatedMessage } from "./state.ts";
import type { Timers } from "./timers.ts";

/** The sender a Messaging Service picks in the simulator. */
export const MESSAGING_SERVICE_SENDER = "+15005550006";

const endBySuffix: Readonly<Record<string, { status: MessageStatus; errorCode: number }>> = {
  "0002": { status: "undelivered", errorCode: 30003 },
  "0003": { status: "failed", errorCode: 30008 },
};

export function messagePlan(to: string, accepted: boolean): MessageStatus[] {
  const end = endBySuffix[to.slice(-4)];
  const afterQueued: MessageStatus[] =
    end?.status === "failed" ? ["failed"] : ["sent", end?.status ?? "delivered"];
  return accepted ? ["queued", ...afterQueued] : afterQueued;
}

export interface MessageLifecycleDependencies {
  timers: Timers;
  timing: SimulatorTiming;
  callbacks: CallbackSender;
}

export class MessageLifecycle {
  private readonly deps: MessageLifecycleDependencies;

  constructor(deps: MessageLifecycleDependencies) {
    this.deps = deps;
  }

  /** Reports the message's first status, then schedules the rest. */
  start(message: SimulatedMessage): void {
    const callbacks = this.deps.callbacks.forCall({ duplicate: false, reorder: false });
    this.report(message, callbacks);
    this.schedule(message, callbacks, messagePlan(message.to, message.status === "accepted"));
  }

  private schedule(message: SimulatedMessage, callbacks: CallCallbacks, steps: MessageStatus[]) {
    const [status, ...rest] = steps;
    if (!status) return;
    this.deps.timers.after(this.deps.timing.stepMs, () => {
      this.transition(message, status);
      this.report(message, callbacks);
      this.schedule(message, callbacks, rest);
    });
  }

  private transition(message: SimulatedMessage, status: MessageStatus): void {
    const at = Date.now();
    message.status = status;
    message.updatedAt = at;
    if (status === "queued" && message.from === null) message.from = MESSAGING_SERVICE_SENDER;
    if (status === "sent") message.sentAt = at;
    if (status === "undelivered" || status === "failed") {
      message.errorCode = endBySuffix[message.to.slice(-4)]?.errorCode ?? 30008;
    }
  }

  private report(message: SimulatedMessage, callbacks: CallCallbacks): void {
    if (!message.statusCallback) return;
    callbacks.other({
      type: "message-status",
      messageSid: message.sid,
      url: message.statusCallback,
      method: "POST",
      status: message.status,
      params: statusParams(message),
    });
  }
}

function statusParams(message: SimulatedMessage): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: "2010-04-01",
    MessageSid: message.sid,
    MessageStatus: message.status,
    SmsSid: message.sid,
    SmsStatus: message.status,
    To: message.to,
  };
  if (message.from !== null) params.From = message.from;
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  if (finalMessageStatuses.has(message.status) && message.errorCode !== null) {
    params.ErrorCode = String(message.errorCode);
  }
  return params;
}
