/**
 * One LISTEN connection per API process, for the ledger's events and for token revocations
 * (`onTokenRevoked`: authentication forgets its cached verifications at once). Workers publish
 * execution changes as batched NOTIFYs on `switchboard_events` (see `executionEvents.ts`); the hub holds one
 * pool client listening there (src/database/listen.ts) and hands each parsed event to every
 * subscriber, however many clients are streaming. A lost connection is replaced with backoff;
 * events published while it is down are not replayed (the ledger remains the source of truth).
 */
import { z } from "zod";
import {
  type Listener,
  type ListenOptions,
  listenForNotifications,
} from "../../database/listen.ts";
import type { Pool } from "../../database/pool.ts";
import { executionStatuses } from "../../engine/executionStatus.ts";
import { EVENTS_CHANNEL } from "../../engine/ledger/executionEvents.ts";
import type { Logger } from "../../observability/logger.ts";
import { TOKEN_REVOKED_CHANNEL } from "../auth/tokens.ts";

const executionEventSchema = z.object({
  /** The execution's public id. */
  id: z.string(),
  task: z.string(),
  lane: z.string(),
  status: z.enum(executionStatuses),
  progress: z.number().nullable(),
  message: z.string().nullable(),
});

/** One execution change as the ledger writer publishes it. */
export type ExecutionEvent = z.infer<typeof executionEventSchema>;

export interface EventSubscriber {
  event(event: ExecutionEvent): void;
  /** The hub stopped: no more events will come. */
  closed?(): void;
}

/** The reconnect delays default to the listener's. */
export type EventHubOptions = Pick<
  ListenOptions,
  "logger" | "reconnectDelayMs" | "maxReconnectDelayMs"
>;

export class EventHub {
  readonly #logger: Logger;
  readonly #reconnectDelayMs: number | undefined;
  readonly #maxReconnectDelayMs: number | undefined;
  readonly #subscribers = new Set<EventSubscriber>();
  readonly #revocationListeners = new Set<() => void>();
  #listener: Listener | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;

  constructor(options: EventHubOptions) {
    this.#logger = options.logger;
    this.#reconnectDelayMs = options.reconnectDelayMs;
    this.#maxReconnectDelayMs = options.maxReconnectDelayMs;
  }

  /**
   * Takes a client from `pool` and LISTENs. Resolves once listening, or once the first attempt
   * has failed (it then keeps trying in the background): the API serves without live events
   * rather than not at all. Calling it again returns the first call's promise; after `stop` it
   * does nothing.
   */
  start(pool: Pool): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#starting ??= listenForNotifications(pool, {
      logger: this.#logger,
      handlers: {
        [EVENTS_CHANNEL]: this.#onNotification,
        [TOKEN_REVOKED_CHANNEL]: () => {
          for (const listener of this.#revocationListeners) listener();
        },
      },
      reconnectDelayMs: this.#reconnectDelayMs,
      maxReconnectDelayMs: this.#maxReconnectDelayMs,
      retryFirstConnection: true,
    }).then(async (listener) => {
      if (this.#stopped) await listener.close();
      else this.#listener = listener;
    });
    return this.#starting;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#listener?.listening ?? false;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Adds a subscriber; returns the function that removes it (safe to call twice). */
  subscribe(subscriber: EventSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Calls `listener` whenever an API token is revoked, in any process. */
  onTokenRevoked(listener: () => void): void {
    this.#revocationListeners.add(listener);
  }

  /** Closes the LISTEN connection for good and tells every subscriber. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#listener?.close();
    this.#listener = undefined;
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    for (const subscriber of subscribers) subscriber.closed?.();
  }

  readonly #onNotification = (payload: string | undefined): void => {
    if (!payload) return;
    let batch: unknown;
    try {
      batch = JSON.parse(payload);
    } catch (error) {
      this.#logger.warn({ err: error }, "event hub ignored a notification that is not JSON");
      return;
    }
    for (const item of Array.isArray(batch) ? batch : [batch]) {
      const parsed = executionEventSchema.safeParse(item);
      if (!parsed.success) continue;
      for (const subscriber of this.#subscribers) {
        try {
          subscriber.event(parsed.data);
        } catch (error) {
          this.#logger.error({ err: error }, "event subscriber failed");
        }
      }
    }
  };
}
