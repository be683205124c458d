/**
 * An open-loop load generator: GET requests at a fixed rate, evenly spaced, sent whether or not
 * earlier ones have been answered. Each latency runs from the moment its request was due, not
 * from when it went out, so a stalled server (or a lagging client) shows in the figures instead
 * of quietly lowering the rate (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a budget per whole second, which
 * the connections spend back to back as soon as the second starts, then they idle. The server
 * sees bursts of every connection at once, not the stated rate.
 *
 * It speaks HTTP/1.1 over plain keep-alive sockets, one request at a time per socket, and reads
 * only the status line and the body's length: the generator shares the machine with the server
 * it measures, so every microsecond it spends is taken from the server.
 */
import net from "node:net";
import { percentile } from "./stats.ts";

export interface PacedLoadOptions {
  /** `http://host:port` of the server. */
  base: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  headers: Record<string, string>;
  /** The path of the next request. */
  path: () => string;
  /** Most requests in flight at once (keep-alive sockets); more wait for a free one. */
  maxConnections?: number;
  /** A request unanswered after this counts as an error. */
  timeoutMs?: number;
}

export interface PacedLoadResult {
  requests: number;
  /** Answered requests per second over the run. */
  achievedRate: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

interface Response {
  status: number;
}

interface Waiting {
  dueAt: number;
  path: string;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:[ ]*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:[ ]*chunked/i;
const CLOSE = /\r\nconnection:[ ]*close/i;
// Idle sockets are dropped before the server's keep-alive timeout (5 s) closes them, so a
// request never goes out on a socket the server is closing.
const IDLE_MS = 4_000;

/**
 * One keep-alive connection. `send` writes a request; `onResponse` gets each complete response
 * in order. A response the generator cannot frame (chunked) stops the run with an exception
 * rather than a wrong figure.
 */
class Connection {
  readonly #socket: net.Socket;
  #buffered: Buffer = Buffer.alloc(0);
  #head: { status: number; bodyBytes: number; headBytes: number; close: boolean } | undefined;
  readonly #onResponse: (connection: Connection, response: Response) => void;
  readonly #onClose: (connection: Connection) => void;
  busy = false;
  closed = false;
  /** When it last answered, for dropping sockets before the server's keep-alive timeout. */
  idleSince = 0;

  constructor(
    host: string,
    port: number,
    onResponse: (connection: Connection, response: Response) => void,
    onClose: (connection: Connection) => void,
  ) {
    this.#onResponse = onResponse;
    this.#onClose = onClose;
    this.#socket = net.connect({ host, port, noDelay: true });
    this.#socket.on("data", (chunk: Buffer) => this.#read(chunk));
    this.#socket.on("error", () => this.#close());
    this.#socket.on("close", () => this.#close());
  }

  send(request: string): void {
    this.busy = true;
    this.#socket.write(request);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#socket.destroy();
    this.#onClose(this);
  }

  #read(chunk: Buffer): void {
    this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
    for (;;) {
      if (!this.#head) {
        const end = this.#buffered.indexOf(HEADER_END);
        if (end < 0) return;
        const head = this.#buffered.toString("latin1", 0, end);
        const length = CONTENT_LENGTH.exec(head);
        if (!length) {
          const why = CHUNKED.test(head) ? "is chunked" : "has no content-length";
          throw new Error(`pacedLoad: the response ${why}: ${head.split("\r\n")[0]}`);
        }
        this.#head = {
          status: Number(head.slice(9, 12)),
          bodyBytes: Number(length[1]),
          headBytes: end + HEADER_END.length,
          close: CLOSE.test(head),
        };
      }
      const size = this.#head.headBytes + this.#head.bodyBytes;
      if (this.#buffered.length < size) return;
      const { status, close } = this.#head;
      this.#buffered = this.#buffered.subarray(size);
      this.#head = undefined;
      this.busy = false;
      this.idleSince = performance.now();
      this.#onResponse(this, { status });
      if (close) this.#close();
    }
  }
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const { rate, seconds, maxConnections = 256, timeoutMs = 10_000 } = options;
  const target = new URL(options.base);
  const host = target.hostname;
  const port = Number(target.port || 80);
  const headerLines = Object.entries({ host: target.host, ...options.headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  const requestFor = (path: string) => `GET ${path} HTTP/1.1\r\n${headerLines}\r\n`;

  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  let lastAnswerAt = 0;
  const idle: Connection[] = [];
  const open = new Set<Connection>();
  const inFlight = new Map<Connection, Waiting>();
  const queued: Waiting[] = [];
  let finished: () => void = () => {};

  const settle = () => {
    if (++settled === total) finished();
  };
  const dispatch = (connection: Connection, waiting: Waiting) => {
    inFlight.set(connection, waiting);
    connection.send(requestFor(waiting.path));
  };
  const next = (connection: Connection) => {
    const waiting = queued.shift();
    if (waiting) dispatch(connection, waiting);
    else idle.push(connection);
  };
  const onResponse = (connection: Connection, response: Response) => {
    const waiting = inFlight.get(connection);
    inFlight.delete(connection);
    if (waiting) {
      lastAnswerAt = performance.now();
      latencies.push(lastAnswerAt - waiting.dueAt);
      if (response.status < 200 || response.status > 299) non2xx++;
      settle();
    }
    if (!connection.closed) next(connection);
  };
  const onClose = (connection: Connection) => {
    open.delete(connection);
    const index = idle.indexOf(connection);
    if (index >= 0) idle.splice(index, 1);
    const waiting = inFlight.get(connection);
    inFlight.delete(connection);
    if (waiting) {
      errors++;
      settle();
    }
    if (queued.length > 0 && open.size < maxConnections) next(connect());
  };
  const connect = () => {
    const connection = new Connection(host, port, onResponse, onClose);
    open.add(connection);
    return connection;
  };
  const takeIdle = () => {
    const now = performance.now();
    for (let connection = idle.pop(); connection; connection = idle.pop()) {
      if (now - connection.idleSince < IDLE_MS) return connection;
      connection.destroy();
    }
    return undefined;
  };
  const submit = (waiting: Waiting) => {
    const connection = takeIdle() ?? (open.size < maxConnections ? connect() : undefined);
    if (connection) dispatch(connection, waiting);
    else queued.push(waiting);
  };
  // A request unanswered for too long is an error; its connection is dropped with it.
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const [connection, waiting] of inFlight) {
      if (now - waiting.dueAt > timeoutMs) connection.destroy();
    }
  }, 250);

  const started = performance.now();
  await new Promise<void>((resolve) => {
    finished = resolve;
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + sent * intervalMs <= now) {
        submit({ dueAt: started + sent * intervalMs, path: options.path() });
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, started + sent * intervalMs - now));
    };
    tick();
  });
  clearInterval(watchdog);
  for (const connection of open) connection.destroy();
  const elapsedSeconds = (Math.max(lastAnswerAt, started) - started) / 1000;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    requests: latencies.length,
    achievedRate: elapsedSeconds > 0 ? Math.round(latencies.length / elapsedSeconds) : 0,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(Math.max(...latencies)),
    non2xx,
    errors,
  };
}
