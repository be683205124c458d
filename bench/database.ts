/**
 * The benchmark's database: a fresh `switchboard_bench_<pid>` on the server named by
 * `BENCH_DATABASE_URL` or `DATABASE_URL`, or on a throwaway embedded server; migrated on
 * creation and dropped (with the embedded server) at the end.
 *
 * With `keep`, a named database on the given server is created if missing, migrated, and left
 * in place at the end, so a benchmark can reuse data it seeded before (the embedded server is
 * thrown away regardless).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/database/embedded.ts";
import { migrate } from "../src/database/migrate.ts";
import { createPool, type Pool } from "../src/database/pool.ts";
import type { Logger } from "../src/observability/logger.ts";

export interface BenchDatabase {
  url: string;
  /** Where the server came from, for the report. */
  server: string;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface BenchDatabaseOptions {
  /** A database kept between runs on the given server, under this name. */
  keep?: string;
}

async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

export async function openBenchDatabase(
  logger: Logger,
  options: BenchDatabaseOptions = {},
): Promise<BenchDatabase> {
  const given = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  const keep = Boolean(given && options.keep);
  const name = keep ? (options.keep as string) : `switchboard_bench_${process.pid}`;
  let adminUrl: string;
  let server: string;
  let stopServer = async () => {};
  if (given) {
    adminUrl = given;
    const parsed = new URL(given);
    server = `${parsed.hostname}:${parsed.port || 5432}`;
  } else {
    const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-bench-"));
    const embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true, logger });
    adminUrl = embedded.urlFor("postgres");
    server = "embedded";
    stopServer = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  if (!keep) await admin(adminUrl, `drop database if exists "${name}" with (force)`);
  if (!keep || !(await databaseExists(adminUrl, name))) {
    await admin(adminUrl, `create database "${name}"`);
  }
  const url = withDatabase(adminUrl, name);
  const pool = createPool(url, 2);
  try {
    await migrate(pool, { logger });
  } finally {
    await pool.end();
  }
  return {
    url,
    server,
    close: async () => {
      try {
        if (!keep) await admin(adminUrl, `drop database if exists "${name}" with (force)`);
      } finally {
        await stopServer();
      }
    },
  };
}

/** Empties the ledger and graphile-worker's job tables so each phase starts from nothing. */
export async function resetJobs(pool: Pool): Promise<void> {
  await pool.query(`
    truncate executions, execution_attempts;
    truncate graphile_worker._private_jobs, graphile_worker._private_job_queues;
    delete from workers;
  `);
  // Start each timed phase without a pending checkpoint's worth of dirty pages (superuser only).
  await pool.query("checkpoint").catch(() => {});
}

/**
 * Gives the planner statistics for the tables a timed run works on, as autovacuum does once a
 * table has grown by a tenth. `resetJobs` truncates them, and a truncated table has none: then
 * PostgreSQL plans graphile-worker's job fetch as a scan and sort of every queued job (25–45 ms
 * a batch of 500 over 50,000 jobs), not an index range, and the run measures that instead of
 * the worker. Both sides of the benchmark get the same.
 */
export async function analyzeQueuedJobs(pool: Pool): Promise<void> {
  await pool.query("analyze graphile_worker._private_jobs, executions");
}

/**
 * Jobs still in graphile-worker's table (pending, locked or waiting for batched completion),
 * of one task when `task` is given.
 */
export async function pendingJobs(pool: Pool, task?: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from graphile_worker._private_jobs j
     where $1::text is null
        or j.task_id = (select id from graphile_worker._private_tasks where identifier = $1)`,
    [task ?? null],
  );
  return rows[0]?.n ?? 0;
}

/** Succeeded executions, of one task when `task` is given. */
export async function succeededExecutions(pool: Pool, task?: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from executions
     where status = 'succeeded' and ($1::text is null or task_name = $1)`,
    [task ?? null],
  );
  return rows[0]?.n ?? 0;
}
