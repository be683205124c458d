/**
 * One LISTEN connection per API process for the ledger's events. Workers publish execution
 * changes as batched NOTIFYs on `switchboard_events` (see `executionEvents.ts`); the hub holds one
 * pool client listening there and hands each parsed event to every subscriber, however many
 * clients are streaming. A lost connection is replaced with backoff; events published while it
 * is down are not replayed (the ledger remains the source of truth).
 */
import type { Notification, PoolClient } from "pg";
import { z } from "zod";
import type { Pool } from "../../database/pool.ts";
import { executionStatuses } from "../../engine/executionStatus.ts";
import { EVENTS_CHANNEL } from "../../engine/ledger/executionEvents.ts";
import type { Logger } from "../../observability/logger.ts";

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

export interface EventHubOptions {
  logger: Logger;
  /** First wait before reconnecting after the connection is lost; doubles up to the maximum. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export class EventHub {
  readonly #logger: Logger;
  readonly #reconnectDelayMs: number;
  readonly #maxReconnectDelayMs: number;
  readonly #subscribers = new Set<EventSubscriber>();
  #pool: Pool | undefined;
  #client: PoolClient | undefined;
  #starting: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: EventHubOptions) {
    this.#logger = options.logger;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? 250;
    this.#maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000;
  }

  /**
   * Takes a client from `pool` and LISTENs. Resolves once listening, or once the first attempt
   * has failed (it then keeps trying in the background): the API serves without live events
   * rather than not at all. Calling it again returns the first call's promise; after `stop` it
   * does nothing.
   */
  start(pool: Pool): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#pool ??= pool;
    this.#starting ??= this.#connect();
    return this.#starting;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== undefined;
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

  /** Closes the LISTEN connection for good and tells every subscriber. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    // Destroyed rather than returned: a pooled connection must not keep listening.
    client?.release(true);
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    for (const subscriber of subscribers) subscriber.closed?.();
  }

  async #connect(): Promise<void> {
    const pool = this.#pool;
    if (this.#stopped || !pool) return;
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      this.#logger.warn({ err: error }, "event hub could not connect; retrying");
      this.#scheduleReconnect();
      return;
    }
    if (this.#stopped) {
      client.release(true);
      return;
    }
    const lost = (error: Error) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.off("notification", this.#onNotification);
      client.release(true);
      this.#logger.warn({ err: error }, "event hub lost its LISTEN connection; reconnecting");
      this.#scheduleReconnect();
    };
    this.#client = client;
    client.on("notification", this.#onNotification);
    client.on("error", lost);
    client.on("end", () => lost(new Error("connection ended")));
    try {
      await client.query(`listen ${EVENTS_CHANNEL}`);
      this.#failures = 0;
    } catch (error) {
      lost(error as Error);
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const delay = Math.min(this.#reconnectDelayMs * 2 ** this.#failures, this.#maxReconnectDelayMs);
    this.#failures++;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
    this.#reconnectTimer.unref();
  }

  readonly #onNotification = (message: Notification): void => {
    if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
    let batch: unknown;
    try {
      batch = JSON.parse(message.payload);
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
