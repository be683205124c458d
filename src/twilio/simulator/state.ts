/** What the simulator holds in memory: calls, messages, recordings and transcripts, by sid. */
import { randomBytes } from "node:crypto";

/** `initiated` is reported in callbacks only; the call resource shows `queued` until it rings. */
export type CallStatus =
  | "queued"
  | "initiated"
  | "ringing"
  | "in-progress"
  | "completed"
  | "busy"
  | "no-answer"
  | "failed"
  | "canceled";

export const finalCallStatuses: ReadonlySet<CallStatus> = new Set([
  "completed",
  "busy",
  "no-answer",
  "failed",
  "canceled",
]);

export type HttpCallbackMethod = "GET" | "POST";

export interface SimulatedCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  status: CallStatus;
  url: string | undefined;
  twiml: string | undefined;
  statusCallback: string | undefined;
  statusCallbackMethod: HttpCallbackMethod;
  /** Callback events asked for: initiated, ringing, answered, completed. */
  statusCallbackEvents: ReadonlySet<string>;
  record: boolean;
  recordingChannels: 1 | 2;
  recordingStatusCallback: string | undefined;
  recordingStatusCallbackMethod: HttpCallbackMethod;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  startedAt: number | undefined;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  durationSeconds: number | undefined;
}

/** An SMS moves queued (or accepted) → sent → delivered, or ends undelivered or failed. */
export type MessageStatus = "accepted" | "queued" | "sent" | "delivered" | "undelivered" | "failed";

export const finalMessageStatuses: ReadonlySet<MessageStatus> = new Set([
  "delivered",
  "undelivered",
  "failed",
]);

export interface SimulatedMessage {
  sid: string;
  accountSid: string;
  to: string;
  /** Null while a Messaging Service has not yet picked the sender. */
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  status: MessageStatus;
  statusCallback: string | undefined;
  /** Twilio's error code once the message failed or was not delivered. */
  errorCode: number | null;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  sentAt: number | undefined;
}

export interface SimulatedRecording {
  sid: string;
  accountSid: string;
  callSid: string;
  createdAt: number;
  startedAt: number;
  durationSeconds: number;
  channels: 1 | 2;
}

export type TranscriptStatus = "queued" | "in-progress" | "completed" | "failed";

export interface SimulatedTranscript {
  sid: string;
  accountSid: string;
  serviceSid: string;
  channel: unknown;
  /** The recording transcribed, when the channel names one. */
  sourceSid: string | undefined;
  customerKey: string | undefined;
  status: TranscriptStatus;
  createdAt: number;
  updatedAt: number;
  durationSeconds: number;
}

export class SimulatorState {
  readonly calls = new Map<string, SimulatedCall>();
  readonly messages = new Map<string, SimulatedMessage>();
  readonly recordings = new Map<string, SimulatedRecording>();
  readonly transcripts = new Map<string, SimulatedTranscript>();

  clear(): void {
    this.calls.clear();
    this.messages.clear();
    this.recordings.clear();
    this.transcripts.clear();
  }
}

/** A Twilio-shaped sid: two-letter prefix and 32 hex digits. */
export function newSid(prefix: "CA" | "SM" | "RE" | "GT" | "GX"): string {
  return `${prefix}${randomBytes(16).toString("hex")}`;
}

/** `Tue, 31 Aug 2010 20:36:28 +0000`, the v2010 API's date format. */
export function rfc2822(epochMs: number | undefined): string | null {
  if (epochMs === undefined) return null;
  return new Date(epochMs).toUTCString().replace("GMT", "+0000");
}

/** `2010-08-31T20:36:28Z`, the v2 APIs' date format. */
export function iso8601(epochMs: number | undefined): string | null {
  if (epochMs === undefined) return null;
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}
