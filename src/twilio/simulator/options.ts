import { randomBytes } from "node:crypto";
import type { Logger } from "../../observability/logger.ts";

/** How long each step of a simulated call takes. Defaults are fast, for tests. */
export interface SimulatorTiming {
  /** Between created → initiated → ringing → answered (or busy / failed). */
  stepMs: number;
  /** How long an unanswered call rings before it ends as `no-answer`. */
  ringMs: number;
  /** How long an answered call lasts; its reported duration is this, rounded up to seconds. */
  talkMs: number;
  /** From the end of a recorded call to its recording being ready. */
  recordingMs: number;
  /** From a transcript's creation to `completed`. */
  transcriptMs: number;
  /** How long one status callback may take before it is abandoned. */
  callbackTimeoutMs: number;
}

export const defaultTiming: SimulatorTiming = {
  stepMs: 20,
  ringMs: 60,
  talkMs: 60,
  recordingMs: 20,
  transcriptMs: 40,
  callbackTimeoutMs: 15_000,
};

export interface SimulatorOptions {
  /** The account the simulator serves; requests must authenticate as it. */
  accountSid?: string;
  /**
   * Checks request credentials and signs callbacks. Default: a new random one, read back from
   * `authToken` (a Switchboard installation passes its own; see src/shared/localSecrets.ts).
   */
  authToken?: string;
  timing?: Partial<SimulatorTiming>;
  logger?: Logger;
  /** Loopback by default. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export const defaultAccountSid = "AC00000000000000000000000000000001";

/** A new auth token for a simulator, shaped like Twilio's (32 hex digits). */
export function generateSimulatorAuthToken(): string {
  return randomBytes(16).toString("hex");
}
