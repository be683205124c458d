/**
 * The `reports` table: a report is requested (pending, with the job that builds it), built
 * (running, then ready with its figures and renderings, or failed with its error), found again
 * by its cache key, and listed newest first.
 */
import { sql, type Transaction } from "kysely";
import { afterCursor, type Cursor, cursorKey, keysetPage } from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type { Database, Report, ReportType } from "../database/schema.ts";
import { type ExecutionStatus, liveStatuses, statusList } from "../engine/executionStatus.ts";
import type { ReportContent } from "./reportContent.ts";
import type { ReportParameters } from "./reportParameters.ts";

export interface ReportIdentity {
  parameters: ReportParameters;
  cacheKey: string;
}

/** The row of `cacheKey`, or undefined. */
export function reportGetByCacheKey(db: Db, cacheKey: string): Promise<Report | undefined> {
  return db.selectFrom("reports").selectAll().where("cache_key", "=", cacheKey).executeTakeFirst();
}

/**
 * The row of `cacheKey` with the status of the execution building it (null when there is none
 * or the ledger no longer has it), to tell a build in progress from one that ended unfinished.
 */
export function reportGetWithBuild(
  db: Db,
  cacheKey: string,
): Promise<(Report & { execution_status: ExecutionStatus | null }) | undefined> {
  return db
    .selectFrom("reports")
    .leftJoin("executions", "executions.public_id", "reports.execution_id")
    .selectAll("reports")
    .select("executions.status as execution_status")
    .where("reports.cache_key", "=", cacheKey)
    .executeTakeFirst();
}

/**
 * The row of the report, created pending if there was none, locked for the rest of `trx`; with
 * whether the execution building it is still live (queued, running or retrying).
 */
export async function reportLockForRequest(
  trx: Transaction<Database>,
  report: ReportIdentity,
): Promise<Report & { building: boolean; fresh: boolean }> {
  await trx
    .insertInto("reports")
    .values({
      report_type: report.parameters.report_type,
      parameters: JSON.stringify(report.parameters),
      cache_key: report.cacheKey,
    })
    .onConflict((oc) => oc.column("cache_key").doNothing())
    .execute();
  const row = await trx
    .selectFrom("reports")
    .selectAll("reports")
    .select([
      sql<boolean>`reports.status = 'ready' and reports.fresh_until > now()`.as("fresh"),
      sql<boolean>`reports.status in ('pending', 'running') and exists (
        select from executions e
        where e.public_id = reports.execution_id
          and e.status in (${statusList(liveStatuses)}))`.as("building"),
    ])
    .where("cache_key", "=", report.cacheKey)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row;
}

/** Adds recipients to the report's list, each once, in the order first given. */
export async function reportAddRecipients(
  db: Db | Transaction<Database>,
  cacheKey: string,
  recipients: string[],
): Promise<void> {
  if (recipients.length === 0) return;
  await db
    .updateTable("reports")
    .set({
      email_recipients: sql<string[]>`array(
        select r from unnest(email_recipients || ${recipients}::text[]) with ordinality as t(r, n)
        group by r order by min(n))`,
      updated_at: sql`now()`,
    })
    .where("cache_key", "=", cacheKey)
    .execute();
}

/** The report is to be built by the execution `executionId`: pending again, its error cleared. */
export async function reportAssignBuild(
  trx: Transaction<Database>,
  cacheKey: string,
  executionId: string,
): Promise<void> {
  await trx
    .updateTable("reports")
    .set({ status: "pending", execution_id: executionId, error: null, updated_at: sql`now()` })
    .where("cache_key", "=", cacheKey)
    .execute();
}

/** The execution `executionId` starts building the report (creating its row if need be). */
export async function reportStartBuild(
  db: Db,
  report: ReportIdentity & { executionId: string | null },
): Promise<Report> {
  return db
    .insertInto("reports")
    .values({
      report_type: report.parameters.report_type,
      parameters: JSON.stringify(report.parameters),
      cache_key: report.cacheKey,
      status: "running",
      execution_id: report.executionId,
      started_at: sql`now()`,
    })
    .onConflict((oc) =>
      oc.column("cache_key").doUpdateSet({
        status: "running",
        execution_id: report.executionId,
        started_at: sql`now()`,
        error: null,
        updated_at: sql`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface ReadyReport {
  content: ReportContent;
  keys: { json: string; csv: string; html: string };
  generatedAt: Date;
  freshForSeconds: number;
}

/**
 * The build by `executionId` succeeded. Undefined when the report was handed to another
 * execution meanwhile (a refresh): that one's outcome is the report's.
 */
export async function reportMarkReady(
  db: Db,
  build: { cacheKey: string; executionId: string | null },
  ready: ReadyReport,
): Promise<Report | undefined> {
  return db
    .updateTable("reports")
    .set({
      status: "ready",
      content: JSON.stringify(ready.content),
      json_key: ready.keys.json,
      csv_key: ready.keys.csv,
      html_key: ready.keys.html,
      generated_at: ready.generatedAt,
      fresh_until: new Date(ready.generatedAt.getTime() + ready.freshForSeconds * 1000),
      error: null,
      updated_at: sql`now()`,
    })
    .where("cache_key", "=", build.cacheKey)
    .where(sql<boolean>`execution_id is not distinct from ${build.executionId}::uuid`)
    .returningAll()
    .executeTakeFirst();
}

/** The build failed: no figures or files are left to download. */
export async function reportMarkFailed(
  db: Db,
  build: { cacheKey: string; executionId: string | null },
  error: string,
): Promise<void> {
  await db
    .updateTable("reports")
    .set({
      status: "failed",
      error,
      content: null,
      json_key: null,
      csv_key: null,
      html_key: null,
      generated_at: null,
      fresh_until: null,
      updated_at: sql`now()`,
    })
    .where("cache_key", "=", build.cacheKey)
    .where(sql<boolean>`execution_id is not distinct from ${build.executionId}::uuid`)
    .execute();
}

export interface ReportPageQuery {
  reportType?: ReportType;
  limit: number;
  after?: Cursor;
}

/** Reports newest requested first, keyset-paged on (created_at, id); without their content. */
export async function reportList(db: Db, query: ReportPageQuery) {
  let select = db
    .selectFrom("reports")
    .select([
      "id",
      "public_id",
      "report_type",
      "parameters",
      "cache_key",
      "status",
      "execution_id",
      "email_recipients",
      "created_at",
      "generated_at",
      "fresh_until",
      "error",
    ])
    .select(cursorKey("created_at").as("cursor_at"))
    .orderBy("reports.created_at", "desc")
    .orderBy("reports.id", "desc")
    .limit(query.limit + 1);
  if (query.reportType) select = select.where("report_type", "=", query.reportType);
  if (query.after) select = select.where(afterCursor("created_at", query.after));
  return keysetPage(await select.execute(), query.limit, (row) => row.cursor_at);
}
