/**
 * `npm run test:faults`: does the fleet survive what production does to it? On a PostgreSQL
 * server of its own (privateServer.ts), with worker processes at the engine's default settings
 * (workerProcess.ts) kept running by a supervisor (fleet.ts), it runs `--jobs` jobs of
 * `debug_task` (load.ts) while it injects, in sequence with some overlap (faults.ts):
 *
 *   +3 s    a poison job and a hung task are enqueued
 *   +5 s    `--kills` SIGKILLs of workers in the middle of a job, 2 s apart
 *   +15 s   SIGSTOP of a worker past the silent threshold, SIGCONT, a kill of it 5 s later
 *   then    a database restart in immediate mode, and a `--outage-ms` database outage
 *
 * then waits (at most `--settle-ms` after the last fault) for every execution to end, prints
 * what it found (report.ts, table.ts) and exits 1 if a check failed (2 if the suite itself
 * could not run). Progress goes to stderr, the report to stdout. The worker logs are kept when
 * a check fails, in a folder the report names.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { migrate } from "../../src/database/migrate.ts";
import { createDb, createPool, type Db } from "../../src/database/pool.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { liveStatuses, statusList, terminalStatuses } from "../../src/engine/executionStatus.ts";
import { defaultWorkerSilentAfterMs } from "../../src/engine/fleet/workerAlive.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { type PrivateServer, startPrivateServer } from "../support/privateServer.ts";
import {
  type DatabaseFault,
  databaseOutage,
  type FaultContext,
  type Kill,
  killWorkers,
  pauseWorker,
  restartDatabase,
  sleep,
} from "./faults.ts";
import { createFaultTables } from "./faultTables.ts";
import { hungTask, hungTimeLimits, poisonTask } from "./faultTasks.ts";
import { Fleet } from "./fleet.ts";
import { Load } from "./load.ts";
import { failedChecks, gatherFindings, RECOVERY_TARGET_MS } from "./report.ts";
import { formatReport } from "./table.ts";

const USAGE = `usage: npm run test:faults -- [--jobs N] [--workers N] [--kills N] [--outage-ms MS] [--settle-ms MS]
  --jobs       jobs of debug_task to run (default 4000)
  --workers    worker processes kept running (default 4)
  --kills      SIGKILLs of workers in the middle of a job (default 30)
  --outage-ms  how long the database stays down in the outage (default 30000)
  --settle-ms  longest wait, after the last fault, for every execution to end (default 120000)`;

const KILL_EVERY_MS = 2_000;
/** Past the silent threshold by two heartbeats at the default interval. */
const PAUSE_MS = defaultWorkerSilentAfterMs + 10_000;
const RESUMED_KILL_AFTER_MS = 5_000;
const PROGRESS_EVERY_MS = 5_000;

interface Options {
  jobs: number;
  workers: number;
  kills: number;
  outageMs: number;
  settleMs: number;
}

function parseOptions(argv: string[]): Options {
  const flags = {
    jobs: 4_000,
    workers: 4,
    kills: 30,
    "outage-ms": 30_000,
    "settle-ms": 120_000,
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: "boolean" },
        ...Object.fromEntries(Object.keys(flags).map((name) => [name, { type: "string" }])),
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  for (const name of Object.keys(flags) as (keyof typeof flags)[]) {
    const raw = values[name];
    if (raw === undefined) continue;
    const value = Number(raw);
    const least = name === "kills" ? 0 : 1;
    if (typeof raw !== "string" || !/^\d+$/.test(raw) || value < least) {
      fail(`--${name} must be an integer of at least ${least}, got ${JSON.stringify(raw)}`);
    }
    flags[name] = value;
  }
  return {
    jobs: flags.jobs,
    workers: flags.workers,
    kills: flags.kills,
    outageMs: flags["outage-ms"],
    settleMs: flags["settle-ms"],
  };
}

function fail(message: string): never {
  process.stderr.write(`test:faults: ${message}\n`);
  process.exit(2);
}

const options = parseOptions(process.argv.slice(2));
const suiteStartedAt = Date.now();
const progress = (message: string) =>
  process.stderr.write(
    `[faults] ${((Date.now() - suiteStartedAt) / 1000).toFixed(1).padStart(6)} s  ${message}\n`,
  );

let server: PrivateServer | undefined;
let fleet: Fleet | undefined;
let logDir: string | undefined;

async function cleanUp(keepLogs: boolean): Promise<void> {
  fleet?.killAll();
  await server?.remove().catch(() => {});
  if (logDir && !keepLogs) await rm(logDir, { recursive: true, force: true });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    progress(`${signal}: stopping the workers and removing the database`);
    void cleanUp(false).finally(() => process.exit(130));
  });
}

try {
  process.exitCode = (await runSuite()) ? 0 : 1;
} catch (error) {
  progress(`the suite could not run: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 2;
  await cleanUp(true);
  if (logDir) progress(`worker logs kept in ${logDir}`);
}
// Open handles (pools, timers of the libraries) must not keep the process alive.
process.exit();

/** Runs the suite; true if every check passed. */
async function runSuite(): Promise<boolean> {
  progress(
    `${options.jobs} jobs, ${options.workers} workers, ${options.kills} kills, outage ${options.outageMs / 1000} s`,
  );
  server = await startPrivateServer();
  progress(`private PostgreSQL on 127.0.0.1:${server.port}`);
  const pool = createPool(server.url, 5);
  const db = createDb(pool);
  await migrate(pool, { logger: createLogger("silent") });
  await createFaultTables(db);

  logDir = await mkdtemp(path.join(tmpdir(), "switchboard-faults-logs-"));
  const runningFleet = new Fleet({
    size: options.workers,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: server.url,
      LOG_LEVEL: "info",
    },
    logDir,
    progress,
  });
  fleet = runningFleet;
  await runningFleet.start();
  progress(`${options.workers} workers ready`);

  const ctx: FaultContext = { db, fleet: runningFleet, server, progress };
  const killsEndMs = 5_000 + options.kills * KILL_EVERY_MS;
  const pauseEndMs = 15_000 + PAUSE_MS + RESUMED_KILL_AFTER_MS;
  // The load runs until about the end of the outage, so every fault meets jobs in flight.
  const spreadMs = Math.max(killsEndMs, pauseEndMs) + 25_000 + options.outageMs;
  const load = new Load(db, {
    jobs: options.jobs,
    spreadMs,
    databaseUp: () => runningFleet.databaseAvailable,
  });
  const loading = load.run();
  const ticker = setInterval(
    () => void report(db, load, runningFleet).then(progress),
    PROGRESS_EVERY_MS,
  );

  await sleep(3_000);
  const poisonId = await enqueue(db, poisonTask, {});
  const hungId = await enqueue(db, hungTask, {});
  progress(`poison job ${poisonId} and hung task ${hungId} enqueued`);

  const [kills, paused] = await Promise.all([
    sleep(2_000).then(() => killWorkers(ctx, options.kills, KILL_EVERY_MS)),
    sleep(12_000).then(() => pauseWorker(ctx, PAUSE_MS, RESUMED_KILL_AFTER_MS)),
  ]);
  const allKills: Kill[] = [...kills, ...(paused.kill ? [paused.kill] : [])];

  const databaseFaults: DatabaseFault[] = [];
  // Time for the last kill's jobs to start again before the database goes away.
  await sleep(2 * RECOVERY_TARGET_MS);
  databaseFaults.push(await restartDatabase(ctx));
  await sleep(5_000);
  databaseFaults.push(await databaseOutage(ctx, options.outageMs));
  const lastFaultAt = Date.now();

  progress(`faults done; waiting up to ${options.settleMs / 1000} s for every execution to end`);
  const settled = await settle(db, load, lastFaultAt + options.settleMs);
  clearInterval(ticker);
  load.stop();
  await loading;
  const endedAt = Date.now();
  progress(settled ? "every execution ended" : "stopped waiting: some executions did not end");

  const findings = await gatherFindings(db, {
    fleet: runningFleet,
    enqueued: load.enqueued,
    partialBatches: load.partialBatches,
    kills: allKills,
    ...(paused.pause ? { pause: paused.pause } : {}),
    databaseFaults,
    poisonId,
    hungId,
    startedAt: suiteStartedAt,
    endedAt,
  });
  runningFleet.killAll();
  await pool.end();

  process.stdout.write(
    `\n${formatReport(findings, {
      jobs: options.jobs,
      workers: options.workers,
      pauseMs: PAUSE_MS,
      hungLimits: `soft ${hungTimeLimits.softTimeLimitMs / 1000} s / hard ${hungTimeLimits.hardTimeLimitMs / 1000} s`,
      seconds: (Date.now() - suiteStartedAt) / 1000,
    })}\n`,
  );
  const passed = failedChecks(findings).length === 0;
  await cleanUp(!passed);
  if (!passed) process.stdout.write(`worker logs: ${logDir}\n`);
  return passed;
}

/** Waits until every job is enqueued and every execution has ended, or `deadline`. */
async function settle(db: Db, load: Load, deadline: number): Promise<boolean> {
  let lastReport = 0;
  while (Date.now() < deadline) {
    const live = await sql<{ count: number }>`
      select count(*)::int as count from executions
      where status in (${statusList(liveStatuses)})`
      .execute(db)
      .then(({ rows }) => rows[0]?.count ?? -1)
      .catch(() => -1);
    if (load.done && live === 0) return true;
    if (Date.now() - lastReport >= PROGRESS_EVERY_MS * 2) {
      lastReport = Date.now();
      progress(`waiting: ${live} executions not ended, ${load.enqueued.length} enqueued`);
    }
    await sleep(1_000);
  }
  return false;
}

/** One progress line: enqueued, ended, running, workers. */
async function report(db: Db, load: Load, workers: Fleet): Promise<string> {
  const live = workers.live();
  const fleetLine = `workers ${live.length} (${live.filter((w) => w.paused).length} paused), ${workers.processes.length} started`;
  try {
    const { rows } = await sql<{ ended: number; running: number }>`
      select count(*) filter (where status in (${statusList(terminalStatuses)}))::int as ended,
             count(*) filter (where status = 'running')::int as running
      from executions`.execute(db);
    const counts = rows[0] ?? { ended: 0, running: 0 };
    return `enqueued ${load.enqueued.length}, ended ${counts.ended}, running ${counts.running}; ${fleetLine}`;
  } catch {
    return `database away; enqueued ${load.enqueued.length}; ${fleetLine}`;
  }
}
