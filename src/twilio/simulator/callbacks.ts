/**
 * Sends status callbacks. Each call's callbacks go out one at a time, in order, through its own
 * `CallCallbacks`, which numbers them (`SequenceNumber` 0, 1, 2, …) and applies the call's
 * mischief: `duplicate` sends each twice (same signature, same idempotency token); `reorder` holds
 * them until the call ends, then sends them shuffled, each keeping its own SequenceNumber.
 * A message's callbacks go through a `CallCallbacks` too, unnumbered (`other`), as Twilio's are.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../observability/logger.ts";
import type { CallbackEntry, EventLog } from "./eventLog.ts";
import type { CallbackMischief } from "./faults.ts";
import { signedCallback } from "./signing.ts";
import type { HttpCallbackMethod } from "./state.ts";

export interface Callback {
  type: CallbackEntry["type"];
  /** For a call's or recording's callback. */
  callSid?: string;
  /** For a message's. */
  messageSid?: string;
  url: string;
  method: HttpCallbackMethod;
  params: Record<string, string>;
  /** The status the callback reports, for the log. */
  status: string;
}

interface Prepared extends Callback {
  idempotencyToken: string;
}

export interface CallbackSenderOptions {
  authToken: string;
  log: EventLog;
  logger: Logger;
  timeoutMs: number;
}

export class CallbackSender {
  private controller = new AbortController();
  private queued = 0;

  private readonly options: CallbackSenderOptions;

  constructor(options: CallbackSenderOptions) {
    this.options = options;
  }

  /** Callbacks queued or on the wire. */
  get pending(): number {
    return this.queued;
  }

  forCall(mischief: CallbackMischief): CallCallbacks {
    return new CallCallbacks(this, mischief);
  }

  /** Counts a callback as pending until `delivery` settles. */
  track(delivery: Promise<void>): Promise<void> {
    this.queued += 1;
    return delivery.finally(() => {
      this.queued -= 1;
    });
  }

  async send(callback: Prepared, duplicate = false): Promise<void> {
    const { authToken, log, logger, timeoutMs } = this.options;
    const { url, init } = signedCallback(
      authToken,
      callback.method,
      callback.url,
      callback.params,
      callback.idempotencyToken,
    );
    const sequence = callback.params.SequenceNumber;
    const entry: CallbackEntry = {
      at: Date.now(),
      type: callback.type,
      ...(callback.callSid === undefined ? {} : { callSid: callback.callSid }),
      ...(callback.messageSid === undefined ? {} : { messageSid: callback.messageSid }),
      url: callback.url,
      status: callback.status,
      ...(sequence === undefined ? {} : { sequenceNumber: Number(sequence) }),
      ...(duplicate ? { duplicate } : {}),
    };
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const response = await fetch(url, { ...init, signal });
      await response.arrayBuffer();
      entry.responseStatus = response.status;
      if (!response.ok) {
        logger.warn({ url: callback.url, status: response.status }, "callback refused");
      }
    } catch (error) {
      entry.error = (error as Error).message;
      if (!this.controller.signal.aborted) {
        logger.warn({ url: callback.url, err: error }, "callback failed");
      }
    }
    log.callback(entry);
  }

  /** Abandons every callback on the wire. */
  abortAll(): void {
    this.controller.abort();
    this.controller = new AbortController();
  }
}

export class CallCallbacks {
  private chain: Promise<void> = Promise.resolve();
  private held: Prepared[] = [];
  private nextSequence = 0;

  private readonly sender: CallbackSender;
  private readonly mischief: CallbackMischief;

  constructor(sender: CallbackSender, mischief: CallbackMischief) {
    this.sender = sender;
    this.mischief = mischief;
  }

  /** A call status callback: sent now, or held when reordering. */
  status(callback: Callback): void {
    const prepared = this.prepare(callback);
    prepared.params.SequenceNumber = String(this.nextSequence++);
    if (this.mischief.reorder) this.held.push(prepared);
    else this.enqueue(prepared);
  }

  /** The call has ended: sends the held callbacks, shuffled. */
  end(): void {
    for (const held of shuffle(this.held)) this.enqueue(held);
    this.held = [];
  }

  /** A callback outside the status sequence (the recording's), sent after those before it. */
  other(callback: Callback): void {
    this.enqueue(this.prepare(callback));
  }

  private prepare(callback: Callback): Prepared {
    return { ...callback, params: { ...callback.params }, idempotencyToken: randomUUID() };
  }

  private enqueue(callback: Prepared): void {
    const send = async () => {
      await this.sender.send(callback);
      if (this.mischief.duplicate) await this.sender.send(callback, true);
    };
    this.chain = this.sender.track(this.chain.then(send));
  }
}

/** A random order that differs from the original whenever there are two or more. */
function shuffle<T>(items: T[]): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  if (shuffled.length > 1 && shuffled.every((item, index) => item === items[index])) {
    shuffled.push(shuffled.shift() as T);
  }
  return shuffled;
}
