/**
 * The schedule: each crontab entry with its next run and its last run. The last run is what
 * graphile-worker recorded for the entry (`_private_known_crontabs.last_execution`, the minute it
 * last fired) and the execution that run became: a crontab job gets its execution when it starts,
 * so until then `execution` is null.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { type CrontabEntry, nextRunOf } from "../engine/crontab.ts";
import type { ExecutionStatus } from "../engine/executionStatus.ts";
import { localIsoString } from "../shared/wallClock.ts";

/** An instant in UTC and in the entry's time zone. */
export interface ScheduleInstant {
  at: string;
  local: string;
}

export interface ScheduleEntryView {
  identifier: string;
  task: string;
  /** The five time fields as written in the crontab. */
  schedule: string;
  time_zone: string;
  next_run: ScheduleInstant | null;
  last_run:
    | (ScheduleInstant & { execution: { id: string; status: ExecutionStatus } | null })
    | null;
}

function instant(at: Date, timeZone: string): ScheduleInstant {
  return { at: at.toISOString(), local: localIsoString(at, timeZone) };
}

/** The schedule's entries, in crontab order, as of `now`. */
export async function scheduleList(
  db: Db,
  entries: CrontabEntry[],
  now: Date = new Date(),
): Promise<ScheduleEntryView[]> {
  if (entries.length === 0) return [];
  const { rows } = await sql<{
    identifier: string;
    last_execution: Date | null;
    execution_id: string | null;
    status: ExecutionStatus | null;
  }>`
    select k.identifier, k.last_execution, e.public_id::text as execution_id, e.status
    from unnest(${entries.map((e) => e.identifier)}::text[], ${entries.map((e) => e.task)}::text[])
           as entry (identifier, task)
    join graphile_worker._private_known_crontabs k on k.identifier = entry.identifier
    left join lateral (
      select public_id, status from executions
      where task_name = entry.task and correlation_id = 'crontab'
        and created_at >= k.last_execution and run_at >= k.last_execution
      order by created_at, id
      limit 1) e on true`.execute(db);
  const known = new Map(rows.map((row) => [row.identifier, row]));
  return entries.map((entry) => {
    const next = nextRunOf(entry, now);
    const last = known.get(entry.identifier);
    return {
      identifier: entry.identifier,
      task: entry.task,
      schedule: entry.schedule,
      time_zone: entry.timeZone,
      next_run: next ? instant(next, entry.timeZone) : null,
      last_run: last?.last_execution
        ? {
            ...instant(last.last_execution, entry.timeZone),
            execution:
              last.execution_id && last.status
                ? { id: last.execution_id, status: last.status }
                : null,
          }
        : null,
    };
  });
}
