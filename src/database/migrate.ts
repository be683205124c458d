/**
 * Applies `migrations/NNNN_name.sql` in order, each in its own transaction, after installing
 * graphile-worker's schema. A session advisory lock makes concurrent runs take turns, so each
 * migration is applied once; a checksum refuses to go on when an applied file was edited.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runMigrations } from "graphile-worker";
import type { PoolClient } from "pg";
import { toGraphileLogger } from "../observability/graphileLogger.ts";
import type { Logger } from "../observability/logger.ts";
import type { Pool } from "./pool.ts";

export const migrationsDirectory = fileURLToPath(new URL("../../migrations", import.meta.url));

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;
// Any fixed 64-bit key works; this one spells "swbdmigr" in ASCII.
const MIGRATION_LOCK_KEY = "8319679245426616690";

export class MigrationError extends Error {
  override name = "MigrationError";
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrationFiles(
  directory = migrationsDirectory,
): Promise<MigrationFile[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql")).sort();
  const seen = new Map<string, string>();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = MIGRATION_FILE.exec(name);
    if (!match) {
      throw new MigrationError(`${name}: migration files must be named NNNN_lower_snake_name.sql`);
    }
    const number = match[1] as string;
    const other = seen.get(number);
    if (other) throw new MigrationError(`${name} and ${other} share the number ${number}`);
    seen.set(number, name);
    const sql = await readFile(path.join(directory, name), "utf8");
    files.push({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return files;
}

export interface MigrationStatus {
  pending: string[];
  edited: string[];
  unknown: string[];
  graphileWorkerInstalled: boolean;
}

/** Compares the database with the migration files without changing anything. */
export async function migrationStatus(
  pool: Pool,
  directory = migrationsDirectory,
): Promise<MigrationStatus> {
  const files = await readMigrationFiles(directory);
  const { rows } = await pool.query<{ installed: boolean; ours: boolean }>(
    `select to_regclass('graphile_worker.migrations') is not null as installed,
            to_regclass('public.switchboard_migrations') is not null as ours`,
  );
  const graphileWorkerInstalled = rows[0]?.installed ?? false;
  const applied = rows[0]?.ours ? await appliedMigrations(pool) : new Map<string, string>();
  return { ...compare(files, applied), graphileWorkerInstalled };
}

function compare(files: MigrationFile[], applied: Map<string, string>) {
  const onDisk = new Set(files.map((file) => file.name));
  return {
    pending: files.filter((file) => !applied.has(file.name)).map((file) => file.name),
    edited: files
      .filter((file) => applied.has(file.name) && applied.get(file.name) !== file.checksum)
      .map((file) => file.name),
    unknown: [...applied.keys()].filter((name) => !onDisk.has(name)),
  };
}

async function appliedMigrations(pool: Pool | PoolClient) {
  const { rows } = await pool.query<{ name: string; checksum: string }>(
    "select name, checksum from switchboard_migrations order by name",
  );
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

export interface MigrateOptions {
  logger: Logger;
  directory?: string;
}

/** Brings the database up to date; returns the names of the migrations it applied. */
export async function migrate(pool: Pool, options: MigrateOptions): Promise<string[]> {
  const { logger, directory = migrationsDirectory } = options;
  const files = await readMigrationFiles(directory);
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await runMigrations({ pgPool: pool, logger: toGraphileLogger(logger) });
      await client.query(`create table if not exists switchboard_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
      const status = compare(files, await appliedMigrations(client));
      if (status.edited.length > 0) {
        throw new MigrationError(
          `applied migrations were edited since they ran: ${status.edited.join(", ")}; ` +
            "add a new migration instead of changing an applied one",
        );
      }
      if (status.unknown.length > 0) {
        throw new MigrationError(
          `the database has migrations that are not on disk: ${status.unknown.join(", ")}`,
        );
      }
      const applied: string[] = [];
      for (const file of files.filter((f) => status.pending.includes(f.name))) {
        await applyOne(client, file);
        logger.info({ migration: file.name }, "applied migration");
        applied.push(file.name);
      }
      return applied;
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

async function applyOne(client: PoolClient, file: MigrationFile) {
  await client.query("begin");
  try {
    await client.query(file.sql);
    await client.query("insert into switchboard_migrations (name, checksum) values ($1, $2)", [
      file.name,
      file.checksum,
    ]);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw new MigrationError(`${file.name} failed: ${(error as Error).message}`, { cause: error });
  }
}
