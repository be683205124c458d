/**
 * `npm run bench:dashboard`: the dashboard pages' server time over a large ledger.
 *
 * Seeds BENCH_EXECUTIONS (default 1,000,000) executions over 30 days with their attempts and
 * rollups (ledgerSeed.ts), and around them: a month of calls with agents, call queues and
 * campaigns (generateHistory, 200 calls a day), a few hundred stored recordings, a few thousand
 * audit rows, workers (live, stopped, silent), every lane's state (one paused) and the crontab's
 * last runs. Then starts `switchboard api` as its own process, signs in through the sign-in
 * form as a dashboard user with the `admin` scope, and requests each page in turn: BENCH_WARMUP
 * (default 3) requests unmeasured, then BENCH_REQUESTS (default 50) one after another.
 *
 * Reported per page: the status code, p50 / p95 / max of the server's own time (the
 * `Server-Timing: app;dur=` header) and of the latency measured here, and PASS when the p95 of
 * the server time is within the 100 ms budget, else FAIL. A page answering 404 is reported
 * "missing"; any other status than 200 is "error". The last stdout line is one JSON object.
 *
 * On a given server the seeded database (`switchboard_bench_dashboard`) is kept and reused while
 * it holds exactly BENCH_EXECUTIONS executions; otherwise it is emptied and seeded again.
 * Env: BENCH_DATABASE_URL or DATABASE_URL (else an embedded server), BENCH_EXECUTIONS,
 * BENCH_REQUESTS, BENCH_WARMUP.
 */
import { readFile } from "node:fs/promises";
import { generateHistory } from "../src/callCenter/history/generateHistory.ts";
import { userCreate } from "../src/dashboard/users.ts";
import { createDb, createPool, type Pool } from "../src/database/pool.ts";
import { parseCrontabEntries } from "../src/engine/crontab.ts";
import { laneNames, lanesByWorkerType } from "../src/engine/lanes.ts";
import { createLogger } from "../src/observability/logger.ts";
import { openBenchDatabase } from "./database.ts";
import { benchWorkerIds, callSidOf, ledgerHolds, seedLedger } from "./ledgerSeed.ts";
import { intFromEnv, median, percentile, round, runBench } from "./stats.ts";
import { startApi } from "./switchboardProcess.ts";

const EXECUTIONS = intFromEnv("BENCH_EXECUTIONS", 1_000_000);
const REQUESTS = intFromEnv("BENCH_REQUESTS", 50);
const WARMUP = intFromEnv("BENCH_WARMUP", 3);
const BUDGET_MS = 100;
const CALLS_PER_DAY = 200;
const USERNAME = "bench-dashboard";
const PASSWORD = "bench-dashboard-password";
const progress = (message: string) => process.stderr.write(`[bench:dashboard] ${message}\n`);

/** Everything around the ledger the pages show. */
async function seedSurroundings(pool: Pool) {
  await pool.query(
    `truncate calls, call_events, recordings, transcripts, agent_state_events, agents,
              call_queues, campaigns, audit_log, workers, lane_states restart identity cascade`,
  );
  const endDate = new Date().toISOString().slice(0, 10);
  const history = await generateHistory(
    {
      days: 30,
      callsPerDay: CALLS_PER_DAY,
      agents: 12,
      callQueues: 3,
      campaigns: 3,
      seed: 1,
      endDate,
      timeZone: "UTC",
    },
    { db: createDb(pool), pool },
  );
  progress(`generated ${history.calls} calls`);
  await pool.query(
    `insert into recordings (sid, call_id, call_sid, status, storage_key, size_bytes, sha256,
                             duration_seconds, encrypted, created_at, stored_at)
     select 'RE' || md5('recording' || c.id), c.id, c.sid, 'stored', 'recordings/' || c.sid || '.wav',
            16000 * coalesce(c.talk_seconds, 60), md5(c.sid) || md5(c.sid), coalesce(c.talk_seconds, 60),
            true, coalesce(c.ended_at, c.created_at), coalesce(c.ended_at, c.created_at) + interval '1 minute'
     from calls c
     where c.sid is not null and c.outcome = 'completed'
     order by c.id desc
     limit 300`,
  );
  await pool.query(
    `insert into audit_log (at, actor, action, target_ids, details, outcome, request_id)
     select now() - interval '30 days' * (g / 5000.0),
            (array['user:ops', 'user:alice', 'api-token:deploy', 'cli'])[1 + g % 4],
            a.action, array[gen_random_uuid()::text], jsonb_build_object('reason', 'bench'),
            a.outcome, 'req-' || g
     from generate_series(1, 5000) g
     cross join lateral (select (array['execution.retry', 'execution.cancel', 'lane.pause',
                                       'lane.resume', 'session.sign_in', 'bulk.retry'])[1 + g % 6] as action,
                                (array['retried', 'cancelled', 'paused', 'resumed', 'signed_in',
                                       'retried'])[1 + g % 6] as outcome) a`,
  );
  const types = [
    "realtime",
    "realtime",
    "processing",
    "processing",
    "reports",
    "maintenance",
  ] as const;
  await pool.query(
    `insert into workers (id, type, lanes, host, pid, started_at, last_seen_at, running_jobs,
                          jobs_done, stopped_at, stop_reason)
     select w.id, w.type, w.lanes::text[], 'host-' || (1 + w.n % 3), 4000 + w.n, now() - interval '2 days',
            now() - interval '2 seconds', w.n % 3, 100000 + 1000 * w.n, null, null
     from unnest($1::text[], $2::text[], $3::text[]) with ordinality as w (id, type, lanes, n)
     union all
     select 'bench-worker-stopped-' || g, 'realtime', $4::text[], 'host-old', 3000 + g,
            now() - interval '9 days', now() - interval '2 days', 0, 50000, now() - interval '2 days',
            case when g = 1 then 'process_gone' end
     from generate_series(1, 2) g
     union all
     select 'bench-worker-silent', 'processing', $5::text[], 'host-3', 3999, now() - interval '1 day',
            now() - interval '10 minutes', 1, 2000, null, null`,
    [
      benchWorkerIds,
      types,
      types.map((type) => `{${lanesByWorkerType[type].join(",")}}`),
      lanesByWorkerType.realtime,
      lanesByWorkerType.processing,
    ],
  );
  await pool.query(
    `insert into lane_states (lane, paused, changed_at, changed_by)
     select lane, lane = 'exports', now() - interval '3 hours', 'user:ops' from unnest($1::text[]) lane`,
    [laneNames],
  );
}

/** The crontab's entries as graphile-worker knows them, each last run at its latest execution. */
async function seedCrontab(pool: Pool) {
  const entries = parseCrontabEntries(await readFile("crontab", "utf8"), {
    localTimeZone: process.env.REPORT_TIMEZONE || "UTC",
  });
  await pool.query(
    `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
     select entry.identifier, now() - interval '30 days',
            (select date_trunc('minute', max(created_at)) from executions
             where task_name = entry.task and correlation_id = 'crontab')
     from unnest($1::text[], $2::text[]) as entry (identifier, task)
     on conflict (identifier) do update set last_execution = excluded.last_execution`,
    [entries.map((entry) => entry.identifier), entries.map((entry) => entry.task)],
  );
}

/** What the pages are asked about: rows that exist, searched the way an operator would. */
async function pickTargets(pool: Pool) {
  const one = async <T>(query: string, params: unknown[] = []) => {
    const { rows } = await pool.query(query, params);
    return rows[0] as T | undefined;
  };
  const execution = await one<{ id: string }>(
    `select public_id::text as id from executions
     where status = 'dead' and parent_id is not null order by id desc limit 1`,
  );
  // A call's executions ten days ago (payload JSON), and a fragment of a sid 25 days old: rare
  // terms, so the search reads far back.
  const recent = await one<{ sid: string }>(`select ${callSidOf("$1::int")} as sid`, [
    Math.floor(EXECUTIONS * (2 / 3)),
  ]);
  const old = await one<{ sid: string }>(`select ${callSidOf("$1::int")} as sid`, [
    Math.floor(EXECUTIONS / 6),
  ]);
  const correlation = await one<{ id: string }>(
    `select correlation_id as id from executions
     where correlation_id like 'CA%' and created_at < now() - interval '2 days'
     order by created_at desc limit 1`,
  );
  const call = await one<{ sid: string }>(
    "select call_sid as sid from recordings order by id desc limit 1",
  );
  return {
    executionId: execution?.id ?? "00000000-0000-7000-8000-000000000000",
    payloadJson: JSON.stringify({ call_sid: recent?.sid }),
    payloadText: (old?.sid ?? "CA").slice(2, 14),
    correlationId: correlation?.id ?? "none",
    callSid: call?.sid ?? "CA0",
  };
}

async function prepare(url: string) {
  const pool = createPool(url, 4);
  try {
    let seedSeconds: number | null = null;
    if (await ledgerHolds(pool, EXECUTIONS)) {
      progress(`reusing the ${EXECUTIONS} executions seeded before`);
    } else {
      const started = performance.now();
      progress("seeding calls, recordings, audit rows, workers and lanes");
      await seedSurroundings(pool);
      progress(`seeding ${EXECUTIONS} executions`);
      await seedLedger(pool, EXECUTIONS, progress);
      seedSeconds = round((performance.now() - started) / 1000, 1);
      progress(`seeded in ${seedSeconds} s`);
    }
    await seedCrontab(pool);
    await pool.query("delete from dashboard_users where username = $1", [USERNAME]);
    await userCreate(createDb(pool), { username: USERNAME, password: PASSWORD, scopes: ["admin"] });
    return { seedSeconds, targets: await pickTargets(pool) };
  } finally {
    await pool.end();
  }
}

/** Signs in through the form, as a browser does; returns the session cookie. */
async function signIn(base: string): Promise<string> {
  const response = await fetch(`${base}/dashboard/sign-in`, {
    method: "POST",
    redirect: "manual",
    body: new URLSearchParams({ username: USERNAME, password: PASSWORD, next: "/dashboard" }),
  });
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(";")[0] as string)
    .find((pair) => pair.startsWith("switchboard_session="));
  if (response.status !== 303 || !cookie) {
    throw new Error(`sign-in answered ${response.status} without a session cookie`);
  }
  return cookie;
}

interface Sample {
  status: number;
  serverMs: number | null;
  clientMs: number;
  body: string;
}

async function request(base: string, cookie: string, path: string): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(base + path, { headers: { cookie }, redirect: "manual" });
  const body = await response.text();
  const clientMs = performance.now() - started;
  const dur = /\bapp;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "")?.[1];
  return {
    status: response.status,
    serverMs: dur === undefined ? null : Number(dur),
    clientMs,
    body,
  };
}

/** The "next page" link of a list page (the one carrying a cursor), resolved to a path. */
function nextPageLink(html: string, from: string): string | null {
  const href = /href="([^"]*[?&](?:amp;)?cursor=[^"]*)"/.exec(html)?.[1];
  if (!href) return null;
  const url = new URL(href.replaceAll("&amp;", "&"), `http://dashboard${from}`);
  return url.pathname + url.search;
}

type Verdict = "PASS" | "FAIL" | "missing" | "error";

interface PageResult {
  page: string;
  path: string;
  status: number;
  verdict: Verdict;
  server: { p50: number; p95: number; max: number } | null;
  client: { p50: number; p95: number; max: number } | null;
}

const summary = (values: number[]) => ({
  p50: round(median(values), 1),
  p95: round(percentile(values, 95), 1),
  max: round(Math.max(...values), 1),
});

async function measurePage(
  base: string,
  cookie: string,
  page: string,
  path: string | null,
): Promise<PageResult> {
  if (path === null)
    return { page, path: "-", status: 404, verdict: "missing", server: null, client: null };
  const first = await request(base, cookie, path);
  if (first.status === 404)
    return { page, path, status: 404, verdict: "missing", server: null, client: null };
  for (let i = 1; i < WARMUP; i++) await request(base, cookie, path);
  const samples: Sample[] = [];
  for (let i = 0; i < REQUESTS; i++) samples.push(await request(base, cookie, path));
  const statuses = [...new Set(samples.map((sample) => sample.status))];
  const status = statuses.find((code) => code !== 200) ?? 200;
  const server = samples.flatMap((sample) => (sample.serverMs === null ? [] : [sample.serverMs]));
  const result: PageResult = {
    page,
    path,
    status,
    verdict: "error",
    server: server.length > 0 ? summary(server) : null,
    client: summary(samples.map((sample) => sample.clientMs)),
  };
  if (status === 200 && result.server) {
    result.verdict = result.server.p95 <= BUDGET_MS ? "PASS" : "FAIL";
  }
  progress(`${page}: ${result.verdict} (${status}, server p95 ${result.server?.p95 ?? "-"} ms)`);
  return result;
}

function report(results: PageResult[], server: string, seedSeconds: number | null) {
  const header = [
    "page",
    "status",
    "server p50",
    "p95",
    "max",
    "client p50",
    "p95",
    "max",
    "verdict",
  ];
  const cell = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1));
  const rows = results.map((r) => [
    r.page,
    String(r.status),
    cell(r.server?.p50),
    cell(r.server?.p95),
    cell(r.server?.max),
    cell(r.client?.p50),
    cell(r.client?.p95),
    cell(r.client?.max),
    r.verdict,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ");
  const count = (verdict: Verdict) => results.filter((r) => r.verdict === verdict).length;
  process.stdout.write(
    `Dashboard pages over ${EXECUTIONS} executions (${server}), ${REQUESTS} requests each, ` +
      `budget ${BUDGET_MS} ms server time at p95 (ms)\n`,
  );
  process.stdout.write(`${line(header)}\n${rows.map(line).join("\n")}\n`);
  process.stdout.write(
    `${JSON.stringify({
      executions: EXECUTIONS,
      requests: REQUESTS,
      budget_ms: BUDGET_MS,
      seed_seconds: seedSeconds,
      passed: count("PASS"),
      failed: count("FAIL"),
      errors: count("error"),
      missing: count("missing"),
      pages: Object.fromEntries(
        results.map((r) => [
          r.page,
          r.verdict === "missing"
            ? { path: r.path, status: r.status, verdict: r.verdict }
            : {
                path: r.path,
                status: r.status,
                verdict: r.verdict,
                server_p50_ms: r.server?.p50 ?? null,
                server_p95_ms: r.server?.p95 ?? null,
                server_max_ms: r.server?.max ?? null,
                client_p50_ms: r.client?.p50 ?? null,
                client_p95_ms: r.client?.p95 ?? null,
                client_max_ms: r.client?.max ?? null,
              },
        ]),
      ),
    })}\n`,
  );
}

async function main() {
  const logger = createLogger("silent");
  const database = await openBenchDatabase(logger, { keep: "switchboard_bench_dashboard" });
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  try {
    progress(`database: ${database.server}`);
    const { seedSeconds, targets } = await prepare(database.url);
    api = await startApi({ DATABASE_URL: database.url, API_RATE_LIMIT: "100000/m" });
    const base = api.base;
    const cookie = await signIn(base);
    const list = "/dashboard/executions";
    const firstPage = await request(base, cookie, list);
    const q = (params: Record<string, string>) => `${list}?${new URLSearchParams(params)}`;
    const pages: [string, string | null][] = [
      ["overview 1h", "/dashboard?window=1h"],
      ["overview 24h", "/dashboard?window=24h"],
      ["overview 7d", "/dashboard?window=7d"],
      ["executions", list],
      ["executions dead", q({ status: "dead" })],
      ["executions by task", q({ task_name: "queue_outbound_call" })],
      ["executions by correlation id", q({ correlation_id: targets.correlationId })],
      ["executions payload JSON", q({ payload: targets.payloadJson })],
      ["executions payload text", q({ payload: targets.payloadText })],
      ["executions page 2", firstPage.status === 200 ? nextPageLink(firstPage.body, list) : list],
      ["execution detail", `/dashboard/executions/${targets.executionId}`],
      ["dead letter", "/dashboard/dead-letter"],
      ["lanes", "/dashboard/lanes"],
      ["workers", "/dashboard/workers"],
      ["schedule", "/dashboard/schedule"],
      ["calls", "/dashboard/calls"],
      ["call", `/dashboard/calls/${targets.callSid}`],
      ["campaigns", "/dashboard/campaigns"],
      ["reports", "/dashboard/reports"],
      ["audit", "/dashboard/audit"],
    ];
    const results: PageResult[] = [];
    for (const [page, path] of pages) results.push(await measurePage(base, cookie, page, path));
    report(results, database.server, seedSeconds);
  } finally {
    await api?.stop();
    await database.close();
  }
}

runBench(main);
