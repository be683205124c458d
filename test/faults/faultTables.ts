/**
 * What the fault suite records in its own database, next to the engine's tables:
 *
 * - `fault_runs`: one row per task run, written by the run itself (see `faultTasks.ts`): which
 *   execution and attempt ran in which process, when it started and finished, and — for the
 *   hung task — when its code was last seen running.
 * - `fault_endings`: every time an execution reaches a terminal status, and every later change
 *   of that ending (another terminal status, result or error class), recorded by a trigger on
 *   `executions`. It sees every path that ends an execution (ledger flush, durable ending,
 *   reconcile sweep, control), commits with it and misses nothing, unlike the events channel,
 *   whose notifications are hints lost while a listener reconnects.
 */
import { sql } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import { statusList, terminalStatuses } from "../../src/engine/executionStatus.ts";

export async function createFaultTables(db: Db): Promise<void> {
  await sql`
    create table fault_runs (
      id bigint generated always as identity primary key,
      execution_id uuid not null,
      task_name text not null,
      attempt integer not null,
      pid integer not null,
      started_at timestamptz not null,
      finished_at timestamptz,
      alive_at timestamptz
    )`.execute(db);
  await sql`create index fault_runs_execution on fault_runs (execution_id, started_at)`.execute(db);
  await sql`create index fault_runs_pid on fault_runs (pid) where finished_at is null`.execute(db);

  await sql`
    create table fault_endings (
      execution_id bigint not null,
      previous_status text not null,
      status text not null,
      -- For a change to an execution that had already ended: what it changed.
      rewrote text[],
      attempts integer not null,
      worker_id text,
      at timestamptz not null default clock_timestamp()
    )`.execute(db);
  await sql`
    create function fault_record_ending() returns trigger language plpgsql as $$
    begin
      insert into fault_endings (execution_id, previous_status, status, rewrote, attempts,
                                 worker_id)
      values (new.id, old.status, new.status,
              case when old.status in (${statusList(terminalStatuses)}) then array_remove(array[
                case when old.status <> new.status then 'status' end,
                case when old.result is distinct from new.result then 'result' end,
                case when old.error_class is distinct from new.error_class then 'error class' end
              ], null) end,
              new.attempts, new.worker_id);
      return null;
    end $$`.execute(db);
  // A late write that only completes what an ending left empty (a reconcile sweep writes no
  // result; the worker's flush adds it) is not a second ending.
  await sql`
    create trigger fault_record_ending after update on executions for each row
    when (new.status in (${statusList(terminalStatuses)}) and (
      old.status not in (${statusList(terminalStatuses)})
      or old.status <> new.status
      or (old.result is not null and old.result is distinct from new.result)
      or (old.error_class is not null and old.error_class is distinct from new.error_class)))
    execute function fault_record_ending()`.execute(db);
}
