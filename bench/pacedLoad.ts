/**
 * An open-loop load generator: GET requests at a fixed rate, evenly spaced, sent whether or not
 * earlier ones have been answered. Each latency runs from the moment its request was due, not
 * from when it went out, so a stalled server (or a lagging client) shows in the figures instead
 * of quietly lowering the rate (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a budget per whole second, which
 * the connections spend back to back as soon as the second starts, then they idle. The server
 * sees bursts of every connection at once, not the stated rate.
 */
import http from "node:http";
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

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const { rate, seconds, headers, maxConnections = 256, timeoutMs = 10_000 } = options;
  const target = new URL(options.base);
  // Idle sockets are dropped before the server's keep-alive timeout (5 s) closes them, so a
  // request never goes out on a socket the server is closing.
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxConnections, timeout: 4_000 });
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  let lastAnswerAt = 0;

  const send = (dueAt: number, done: () => void) => {
    const request = http.get(
      { agent, host: target.hostname, port: target.port, path: options.path(), headers },
      (response) => {
        response.resume();
        response.on("end", () => {
          lastAnswerAt = performance.now();
          latencies.push(lastAnswerAt - dueAt);
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) non2xx++;
          done();
        });
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error("timed out")));
    request.on("error", () => {
      errors++;
      done();
    });
  };

  const started = performance.now();
  await new Promise<void>((finished) => {
    let sent = 0;
    const done = () => {
      if (++settled === total) finished();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + sent * intervalMs <= now) {
        send(started + sent * intervalMs, done);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, started + sent * intervalMs - now));
    };
    tick();
  });
  agent.destroy();
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
