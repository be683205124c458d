/**
 * Executions ended within a recent window, by terminal status, read from the per-minute rollups
 * (`execution_minutes`, migration 0024) rather than the ledger: an hour reads 60 minutes of
 * rows per task whatever the traffic. The window covers whole minutes: the minute `windowSeconds`
 * ago counts in full.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { TerminalStatus } from "../engine/executionStatus.ts";

export type EndingCounts = Record<TerminalStatus, number>;

export async function endingsSince(
  db: Db,
  windowSeconds: number,
  filter: { task?: string; lane?: string } = {},
): Promise<EndingCounts> {
  const { rows } = await sql<{ status: TerminalStatus; count: number }>`
    select status, sum(executions)::float8 as count
    from execution_minutes
    where minute >= date_trunc('minute', now() - ${windowSeconds}::float8 * interval '1 second')
      ${filter.task === undefined ? sql`` : sql`and task_name = ${filter.task}`}
      ${filter.lane === undefined ? sql`` : sql`and lane = ${filter.lane}`}
    group by status`.execute(db);
  const counts: EndingCounts = { succeeded: 0, dead: 0, cancelled: 0, expired: 0 };
  for (const { status, count } of rows) counts[status] = count;
  return counts;
}
