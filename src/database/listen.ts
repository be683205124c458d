/**
 * LISTEN on a dedicated pool connection that comes back when it drops: the worker hears cancel
 * requests and lane pauses through it, the API's event hub the ledger's events. Notifications
 * sent while the connection is down are lost; whoever listens must treat the database as the
 * source of truth (both do).
 *
 * @example
 * const listener = await listenForNotifications(pool, {
 *   logger,
 *   handlers: { switchboard_cancel: (payload) => abortJob(Number(payload)) },
 * });
 * await listener.close();
 */
import type { Notification, PoolClient } from "pg";
import type { Logger } from "../observability/logger.ts";
import type { Pool } from "./pool.ts";

export interface ListenOptions {
  logger: Logger;
  /** What to do with each notification, by channel. */
  handlers: Record<string, (payload: string | undefined) => void>;
  /** First wait before reconnecting; doubles after each failure up to the maximum. Default 250. */
  reconnectDelayMs?: number;
  /** Default 5000. */
  maxReconnectDelayMs?: number;
  /**
   * If the first connection fails: false (default) rejects; true resolves at once and keeps
   * trying in the background, for a process that serves without notifications rather than not
   * at all.
   */
  retryFirstConnection?: boolean;
  /**
   * Runs on every new connection once it listens, e.g. to take a session lock that must live
   * exactly as long as the connection; if it fails, the connection is dropped and retried.
   */
  onConnect?: (client: PoolClient) => Promise<void>;
}

export interface Listener {
  /** True while the LISTEN connection is up. */
  readonly listening: boolean;
  /** Stops listening for good; the connection is destroyed, not returned to the pool. */
  close(): Promise<void>;
}

export async function listenForNotifications(
  pool: Pool,
  options: ListenOptions,
): Promise<Listener> {
  const { logger, handlers } = options;
  for (const channel of Object.keys(handlers)) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) {
      throw new Error(`channel ${JSON.stringify(channel)} must be a lowercase identifier`);
    }
  }
  const firstDelayMs = options.reconnectDelayMs ?? 250;
  const maxDelayMs = options.maxReconnectDelayMs ?? 5_000;
  let client: PoolClient | undefined;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const onNotification = (message: Notification) => handlers[message.channel]?.(message.payload);

  const reconnectLater = () => {
    if (closed) return;
    const delay = Math.min(firstDelayMs * 2 ** failures, maxDelayMs);
    failures++;
    clearTimeout(timer);
    timer = setTimeout(() => void connect().catch(() => {}), delay);
    timer.unref();
  };

  // Each connection is released exactly once: when it is lost, or by close().
  const drop = (connection: PoolClient) => {
    connection.off("notification", onNotification);
    connection.removeAllListeners("error");
    connection.removeAllListeners("end");
    connection.on("error", () => {}); // a late error on a dropped connection is not ours
    if (client === connection) client = undefined;
    connection.release(true);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    let next: PoolClient;
    try {
      next = await pool.connect();
    } catch (error) {
      logger.warn({ err: error }, "could not connect to LISTEN; retrying");
      reconnectLater();
      throw error;
    }
    if (closed) {
      next.release(true);
      return;
    }
    let lost = false;
    const onLost = (error: Error) => {
      if (lost) return;
      lost = true;
      drop(next);
      logger.warn({ err: error }, "LISTEN connection lost; reconnecting");
      reconnectLater();
    };
    next.on("notification", onNotification);
    next.on("error", onLost);
    next.on("end", () => onLost(new Error("connection ended")));
    try {
      for (const channel of Object.keys(handlers)) await next.query(`listen ${channel}`);
      await options.onConnect?.(next);
    } catch (error) {
      onLost(error as Error);
      throw error;
    }
    if (closed) {
      drop(next);
      return;
    }
    client = next;
    failures = 0;
  };

  try {
    await connect();
  } catch (error) {
    if (!options.retryFirstConnection) {
      closed = true;
      clearTimeout(timer);
      throw error;
    }
  }

  return {
    get listening() {
      return client !== undefined;
    },
    close: async () => {
      closed = true;
      clearTimeout(timer);
      if (client) drop(client);
    },
  };
}
