import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { MigrationError, migrate, migrationStatus } from "../../src/database/migrate.ts";
import type { Pool } from "../../src/database/pool.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createBlankDatabase, createTestPool } from "../support/database.ts";
import { tempFolder } from "../support/tempFolder.ts";

const logger = createLogger("silent");

async function migrationsFolder(files: Record<string, string>): Promise<string> {
  const directory = await tempFolder("switchboard-migrations-");
  for (const [name, sql] of Object.entries(files)) {
    await writeFile(path.join(directory, name), sql);
  }
  return directory;
}

const tableNames = async (pool: Pool) =>
  (
    await pool.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    )
  ).rows.map((row) => row.table_name);

describe("migrate", () => {
  let pool: Pool;
  beforeEach(async () => {
    pool = createTestPool(6, await createBlankDatabase());
  });

  it("installs graphile-worker and applies files in order, recording each", async () => {
    const directory = await migrationsFolder({
      "0002_add_column.sql": "alter table widgets add column size int;",
      "0001_create_widgets.sql": "create table widgets (id int primary key);",
    });
    const applied = await migrate(pool, { logger, directory });
    expect(applied).toEqual(["0001_create_widgets.sql", "0002_add_column.sql"]);
    const { rows } = await pool.query("select name from switchboard_migrations order by name");
    expect(rows.map((row) => row.name)).toEqual(applied);
    const jobs = await pool.query("select count(*)::int as n from graphile_worker.jobs");
    expect(jobs.rows[0].n).toBe(0);
    expect(await migrationStatus(pool, directory)).toEqual({
      pending: [],
      edited: [],
      unknown: [],
      graphileWorkerInstalled: true,
    });
  });

  it("is safe to run twice", async () => {
    const directory = await migrationsFolder({ "0001_t.sql": "create table t (id int);" });
    expect(await migrate(pool, { logger, directory })).toEqual(["0001_t.sql"]);
    expect(await migrate(pool, { logger, directory })).toEqual([]);
  });

  it("applies each migration once when two runs race", async () => {
    const directory = await migrationsFolder({
      "0001_counter.sql": "create table counter (n int); insert into counter values (1);",
      "0002_bump.sql": "update counter set n = n + 1; select pg_sleep(0.2);",
    });
    const other = createTestPool(
      6,
      (pool.options as { connectionString: string }).connectionString,
    );
    const results = await Promise.all([
      migrate(pool, { logger, directory }),
      migrate(other, { logger, directory }),
    ]);
    expect(results.flat().sort()).toEqual(["0001_counter.sql", "0002_bump.sql"]);
    const { rows } = await pool.query("select n from counter");
    expect(rows).toEqual([{ n: 2 }]);
  });

  it("refuses to run when an applied file was edited", async () => {
    const directory = await migrationsFolder({ "0001_t.sql": "create table t (id int);" });
    await migrate(pool, { logger, directory });
    await writeFile(path.join(directory, "0001_t.sql"), "create table t (id bigint);");
    await writeFile(path.join(directory, "0002_u.sql"), "create table u (id int);");
    await expect(migrate(pool, { logger, directory })).rejects.toThrow(
      /0001_t\.sql.*edited|edited.*0001_t\.sql/,
    );
    expect(await tableNames(pool)).not.toContain("u");
    expect((await migrationStatus(pool, directory)).edited).toEqual(["0001_t.sql"]);
  });

  it("rolls back a failing migration whole and stops there", async () => {
    const directory = await migrationsFolder({
      "0001_ok.sql": "create table ok (id int);",
      "0002_broken.sql": "create table half (id int); select * from no_such_table;",
      "0003_later.sql": "create table later (id int);",
    });
    const error = await migrate(pool, { logger, directory }).catch((e) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/0002_broken\.sql failed: .*no_such_table/);
    expect(await tableNames(pool)).toEqual(["ok", "switchboard_migrations"]);
    expect((await migrationStatus(pool, directory)).pending).toEqual([
      "0002_broken.sql",
      "0003_later.sql",
    ]);
  });

  it("rejects badly named files before touching the database", async () => {
    const directory = await migrationsFolder({ "1_first.sql": "create table x (id int);" });
    await expect(migrate(pool, { logger, directory })).rejects.toThrow(
      /1_first\.sql: migration files must be named/,
    );
    expect(await tableNames(pool)).toEqual([]);
  });

  it("reports applied migrations missing from disk", async () => {
    const first = await migrationsFolder({ "0001_t.sql": "create table t (id int);" });
    await migrate(pool, { logger, directory: first });
    const empty = await migrationsFolder({});
    await expect(migrate(pool, { logger, directory: empty })).rejects.toThrow(
      /not on disk: 0001_t\.sql/,
    );
  });
});
