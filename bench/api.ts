/**
 * `npm run bench:api`: latency of the status and control API over a large ledger.
 *
 * Seeds BENCH_EXECUTIONS (default 1,000,000) executions spread over 30 days (ledgerSeed.ts), starts
 * `switchboard api` as its own process (request logging on, as in production), and sends it
 * requests at a fixed, evenly spaced rate (BENCH_RATE, default 500 requests/s; see
 * `pacedLoad`), one scenario at a time:
 *   status   GET /api/tasks/status/{id}/ for random existing ids
 *   list     GET /api/tasks/executions/?status=…&limit=50 (rotating filters, first pages)
 *   page2    the same lists, following next_cursor once
 * Each scenario first runs unmeasured for BENCH_WARMUP_SECONDS (default 3), so the figures are
 * those of a server already serving that route (compiled code, open connections).
 * Reports p50 / p99 per scenario, from when each request was due, and the CPU each request cost
 * PostgreSQL (when it runs on this machine), the API process and this process; the last stdout
 * line is one JSON object.
 * On a given server the seeded database (`switchboard_bench_api`) is kept and reused while it
 * holds exactly BENCH_EXECUTIONS executions; otherwise it is emptied and seeded again.
 * Env: BENCH_DATABASE_URL or DATABASE_URL (else an embedded server), BENCH_EXECUTIONS,
 * BENCH_RATE, BENCH_SECONDS (per scenario, default 15), BENCH_WARMUP_SECONDS.
 */
import { createApiToken } from "../src/api/auth/tokens.ts";
import { createDb, createPool } from "../src/database/pool.ts";
import { createLogger } from "../src/observability/logger.ts";
import { describeCpu, roundedMicros, startCpuCount } from "./cpu.ts";
import { openBenchDatabase } from "./database.ts";
import { ledgerHolds, seedLedger } from "./ledgerSeed.ts";
import { pacedLoad } from "./pacedLoad.ts";
import { intFromEnv } from "./stats.ts";
import { startApi } from "./switchboardProcess.ts";

const EXECUTIONS = intFromEnv("BENCH_EXECUTIONS", 1_000_000);
const RATE = intFromEnv("BENCH_RATE", 500);
const SECONDS = intFromEnv("BENCH_SECONDS", 15);
const WARMUP_SECONDS = intFromEnv("BENCH_WARMUP_SECONDS", 3);
const progress = (message: string) => process.stderr.write(`${message}\n`);

/** Seeds when needed; returns ids to look up and a fresh read token. */
async function prepare(url: string) {
  const pool = createPool(url, 2);
  try {
    if (await ledgerHolds(pool, EXECUTIONS)) {
      progress(`reusing the ${EXECUTIONS} executions seeded before`);
    } else {
      progress(`seeding ${EXECUTIONS} executions`);
      const seconds = await seedLedger(pool, EXECUTIONS, progress);
      progress(`seeded ${EXECUTIONS} executions in ${seconds.toFixed(1)} s`);
    }
    const { rows } = await pool.query<{ public_id: string }>(
      "select public_id from executions tablesample system (1) limit 20000",
    );
    const { token } = await createApiToken(createDb(pool), {
      name: `bench-${Date.now()}`,
      scopes: ["read"],
    });
    return { ids: rows.map((row) => row.public_id), token };
  } finally {
    await pool.end();
  }
}

type Api = Awaited<ReturnType<typeof startApi>>;

interface Scenario {
  name: string;
  path: () => string;
}

async function drive(api: Api, token: string, scenario: Scenario, seconds: number) {
  const cpuSince = startCpuCount(api.child.pid);
  const result = await pacedLoad({
    base: api.base,
    rate: RATE,
    seconds,
    headers: { authorization: `Bearer ${token}` },
    path: scenario.path,
  });
  return {
    scenario: scenario.name,
    requests: result.requests,
    rps: result.achievedRate,
    p50: result.p50,
    p99: result.p99,
    max: result.max,
    non2xx: result.non2xx,
    errors: result.errors,
    cpu: cpuSince(result.requests + result.errors),
  };
}

async function nextCursors(base: string, token: string, lists: string[]) {
  const cursors: string[] = [];
  for (const list of lists) {
    const response = await fetch(base + list, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { next_cursor: string | null };
    if (body.next_cursor) cursors.push(`${list}&cursor=${body.next_cursor}`);
  }
  return cursors;
}

const logger = createLogger("silent");
const database = await openBenchDatabase(logger, { keep: "switchboard_bench_api" });
let api: Api | undefined;
try {
  progress(`database: ${database.server}`);
  const { ids, token } = await prepare(database.url);
  const started = await startApi({ DATABASE_URL: database.url, API_RATE_LIMIT: "100000/m" });
  api = started;
  const lists = [
    "/api/tasks/executions/?limit=50",
    "/api/tasks/executions/?status=dead&limit=50",
    "/api/tasks/executions/?status=failure&task_name=queue_outbound_call&limit=50",
    "/api/tasks/executions/?status=pending&lane=realtime&limit=50",
    "/api/tasks/executions/failed/?limit=50",
  ];
  const page2 = await nextCursors(started.base, token, lists);
  const pick = <T>(values: T[]) => values[Math.floor(Math.random() * values.length)] as T;
  const scenarios: Scenario[] = [
    { name: "status", path: () => `/api/tasks/status/${pick(ids)}/` },
    { name: "list", path: () => pick(lists) },
    { name: "page2", path: () => pick(page2) },
  ];
  const results = [];
  for (const scenario of scenarios) {
    progress(`warming up ${scenario.name} for ${WARMUP_SECONDS} s`);
    await drive(started, token, scenario, WARMUP_SECONDS);
    progress(`driving ${scenario.name} at ${RATE} requests/s for ${SECONDS} s`);
    const result = await drive(started, token, scenario, SECONDS);
    progress(`${scenario.name}: ${describeCpu(result.cpu, "request", "API process")}`);
    results.push(result);
  }
  const header = [
    "scenario",
    "requests",
    "req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "non-2xx",
    "errors",
    "CPU µs/req: PG",
    "API",
    "bench",
  ];
  const rows = results.map((r) =>
    [
      r.scenario,
      r.requests,
      r.rps,
      r.p50,
      r.p99,
      r.max,
      r.non2xx,
      r.errors,
      roundedMicros(r.cpu.postgresUs),
      roundedMicros(r.cpu.childUs),
      roundedMicros(r.cpu.benchUs),
    ].map(String),
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => cell.padEnd(widths[i] as number)).join("  ");
  process.stdout.write(
    `API latency at ${RATE} requests/s over ${EXECUTIONS} executions (${database.server})\n`,
  );
  process.stdout.write(`${line(header)}\n${rows.map(line).join("\n")}\n`);
  const byName = Object.fromEntries(results.map((r) => [r.scenario, r]));
  process.stdout.write(
    `${JSON.stringify({
      executions: EXECUTIONS,
      rate: RATE,
      status_p50_ms: byName.status?.p50,
      status_p99_ms: byName.status?.p99,
      list_p50_ms: byName.list?.p50,
      list_p99_ms: byName.list?.p99,
      page2_p50_ms: byName.page2?.p50,
      page2_p99_ms: byName.page2?.p99,
      errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
    })}\n`,
  );
} finally {
  await api?.stop();
  await database.close();
}
