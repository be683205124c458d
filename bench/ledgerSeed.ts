/**
 * The benchmarks' ledger: `count` executions created over the 30 days before `now`, one every
 * 30 days / `count`, written by `insert … select generate_series` in one transaction with the
 * ledger's secondary indexes set aside (deferredIndexes.ts), then `vacuum analyze`.
 *
 * The mix, decided by hashes of the row number so every seeding writes the same rows:
 *   tasks       the registry's tasks (tasks/index.ts), weighted as a call center runs them, in
 *               their own lanes; runs of crontab tasks carry the correlation id `crontab`
 *   statuses    92.5% succeeded, 4% dead, 2.5% cancelled, 1% expired; among the last 2% created
 *               (about 14 hours) three in ten still live: queued, scheduled, running, retrying
 *   payloads    per lane, naming Twilio call sids (`CA` + 32 hex digits, five executions a call)
 *   ids         UUID version 7 from each row's created_at, so they sort as the ledger's own do
 *   workflows   every 50th execution has four children (`parent_id`) sharing its correlation id;
 *               four in ten others are correlated by their call sid
 *   attempts    one row per attempt that ended (retried successes 2, dead 3)
 *   rollups     execution_minutes, execution_totals and execution_error_totals, derived from
 *               those rows by the triggers of migration 0024 as the rows go in, as in production
 * Started executions ran on workers `bench-worker-1` … `bench-worker-6`.
 */
import { deferSecondaryIndexes, rebuildIndexes } from "../src/database/deferredIndexes.ts";
import type { Pool } from "../src/database/pool.ts";
import { defaultLanes } from "../src/engine/lanes.ts";
import { tasks } from "../tasks/index.ts";

/** Relative weight of each task in the ledger; the registry gives its lane. */
const taskWeights: Record<string, number> = {
  process_webhook_callback: 300,
  queue_outbound_call: 160,
  send_notification: 120,
  get_call_status: 80,
  process_call_recording: 70,
  end_call: 50,
  transcribe_recording: 40,
  send_email: 40,
  schedule_call: 30,
  retry_failed_call: 20,
  retry_failed_webhook: 20,
  calculate_hourly_metrics: 10,
  process_pending_recordings: 15,
  system_health_check: 15,
  check_failed_webhooks: 10,
  transcribe_pending_recordings: 10,
  update_all_agent_metrics: 5,
  export_call_data: 3,
  generate_daily_report: 2,
};

/** Tasks the crontab runs (their executions are correlated `crontab`). */
const crontabTasks = new Set([
  "calculate_hourly_metrics",
  "process_pending_recordings",
  "system_health_check",
  "check_failed_webhooks",
  "transcribe_pending_recordings",
  "update_all_agent_metrics",
  "generate_daily_report",
]);

export const benchWorkerIds = [1, 2, 3, 4, 5, 6].map((n) => `bench-worker-${n}`);

/** The task of each of 1000 slots, so a row's task is one array lookup. */
function taskSlots() {
  const chosen = tasks.filter((task) => task.name in taskWeights);
  const total = chosen.reduce((sum, task) => sum + (taskWeights[task.name] as number), 0);
  const slots: number[] = [];
  chosen.forEach((task, index) => {
    const share = Math.round(((taskWeights[task.name] as number) / total) * 1000);
    for (let i = 0; i < share && slots.length < 1000; i++) slots.push(index + 1);
  });
  while (slots.length < 1000) slots.push(1);
  return {
    names: chosen.map((task) => task.name),
    lanes: chosen.map((task) => task.lane),
    priorities: chosen.map((task) => defaultLanes[task.lane].priority),
    crontab: chosen.map((task) => crontabTasks.has(task.name)),
    slots,
  };
}

/** The UUID version 7 of row `g` created at `at` (SQL expressions). */
function publicIdOf(g: string, at: string) {
  return `encode(set_bit(set_bit(set_bit(set_bit(set_bit(set_bit(
            overlay(decode(md5('execution' || ${g}), 'hex')
                    placing substring(int8send(floor(extract(epoch from ${at}) * 1000)::bigint) from 3)
                    from 1 for 6),
            55, 0), 54, 1), 53, 1), 52, 1), 71, 1), 70, 0), 'hex')::uuid`;
}

/** When row `g` of `$3` rows was created, the last a moment before `$4`. */
const createdAtOf = (g: string) =>
  `($4::timestamptz - interval '30 days' * (1 - (${g} - 0.5) / $3::float8))`;

/** The call sid of row `g`: five executions a call. */
export const callSidOf = (g: string) => `('CA' || md5('call' || (${g}) / 5))`;

/** Whether the ledger holds exactly `count` executions (then a bench reuses it). */
export async function ledgerHolds(pool: Pool, count: number): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from executions");
  return rows[0]?.n === count;
}

/** Empties the ledger and its rollups and seeds `count` executions; returns the seconds it took. */
export async function seedLedger(
  pool: Pool,
  count: number,
  progress: (message: string) => void,
): Promise<number> {
  const started = performance.now();
  const mix = taskSlots();
  const now = new Date();
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "truncate executions, execution_attempts, execution_minutes, execution_totals, execution_error_totals",
    );
    const deferred = await deferSecondaryIndexes(client, "executions", count);
    const chunk = 100_000;
    for (let done = 0; done < count; done += chunk) {
      const last = Math.min(count, done + chunk);
      await client.query(
        `insert into executions (public_id, task_name, lane, status, payload, priority, attempts,
                                 max_attempts, run_at, created_at, started_at, finished_at,
                                 updated_at, correlation_id, parent_id, result, error_class,
                                 error_message, error_stack, worker_id, progress)
         select ${publicIdOf("g", "b.at")}, k.task, k.lane, s.status,
                case k.lane
                  when 'webhooks' then jsonb_build_object('webhook_log_id', g, 'call_sid', b.sid,
                    'call_status', (array['ringing', 'in-progress', 'completed', 'busy', 'no-answer'])[1 + b.h % 5])
                  when 'realtime' then jsonb_build_object('call_sid', b.sid,
                    'to_number', '+1555' || lpad((b.h % 10000000)::text, 7, '0'), 'campaign_id', 1 + b.h % 12)
                  when 'notifications' then jsonb_build_object('channel', (array['sms', 'email'])[1 + b.h % 2],
                    'to', 'agent' || b.h % 500 || '@example.com', 'message', 'Call ' || b.sid || ' needs a callback')
                  when 'recordings' then jsonb_build_object('recording_sid', 'RE' || md5('recording' || g),
                    'call_sid', b.sid)
                  when 'email' then jsonb_build_object('to', 'supervisor' || b.h % 40 || '@example.com',
                    'subject', 'Call ' || b.sid || ' summary')
                  when 'retries' then jsonb_build_object('call_sid', b.sid, 'reason', 'no-answer')
                  when 'reports' then jsonb_build_object('date_str', to_char(b.at, 'YYYY-MM-DD'))
                  else '{}'::jsonb end,
                k.priority, a.attempts, 3,
                t.run_at, b.at, t.started_at, f.finished_at, coalesce(f.finished_at, t.started_at, b.at),
                case when k.crontab then 'crontab'
                     when g % 50 < 5 then 'workflow-' || g / 50
                     when b.h2 % 10 < 4 then b.sid end,
                case when g % 50 between 1 and 4 and g > 50
                     then ${publicIdOf("(g - g % 50)", createdAtOf("(g - g % 50)"))} end,
                case when s.status = 'succeeded' then jsonb_build_object('ok', true, 'duration_ms', b.h % 5000) end,
                case when s.status in ('dead', 'retrying') then e.error_class end,
                case when s.status in ('dead', 'retrying') then (array['Too many requests',
                  'timed out after 30 s', 'worker lost its database connection',
                  'connection reset by peer'])[1 + b.h % 4] end,
                case when s.status = 'dead' then e.error_class || E': failed\\n    at run (tasks/' || k.task || E'.ts:20:11)\\n    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)' end,
                case when t.started_at is not null then 'bench-worker-' || 1 + b.h % 6 end,
                case when s.status = 'running' then (b.h % 100) / 100.0 end
         from generate_series($1::int, $2::int) g
         cross join lateral (select ${createdAtOf("g")} as at, abs(hashint4(g)) as h,
                                    abs(hashint4(-g)) as h2, ${callSidOf("g")} as sid) b
         cross join lateral (select ($5::int[])[1 + b.h % 1000] as slot) m
         cross join lateral (select ($6::text[])[m.slot] as task, ($7::text[])[m.slot] as lane,
                                    ($8::int[])[m.slot] as priority, ($9::boolean[])[m.slot] as crontab) k
         cross join lateral (select case
             when g > $3 * 0.98 and b.h2 % 100 < 30
               then (array['queued', 'queued', 'queued', 'scheduled', 'running', 'retrying'])[1 + b.h2 % 6]
             when b.h2 % 1000 < 40 then 'dead' when b.h2 % 1000 < 65 then 'cancelled'
             when b.h2 % 1000 < 75 then 'expired' else 'succeeded' end as status) s
         cross join lateral (select case s.status when 'succeeded' then 1 + (b.h2 % 10 = 0)::int
             when 'dead' then 3 when 'cancelled' then b.h2 % 2 when 'running' then 1
             when 'retrying' then 1 + b.h2 % 2 else 0 end as attempts) a
         cross join lateral (select case s.status when 'scheduled' then b.at + interval '2 hours'
                                    when 'retrying' then $4::timestamptz + interval '5 minutes' else b.at end as run_at,
             case when a.attempts > 0 then b.at + (a.attempts - 1) * interval '30 s'
                  + (20 + b.h % 400) * interval '1 ms' end as started_at) t
         cross join lateral (select case
             when s.status in ('succeeded', 'dead', 'cancelled')
               then least(coalesce(t.started_at, b.at) + (50 + b.h2 % 5000) * interval '1 ms', $4::timestamptz)
             when s.status = 'expired' then least(b.at + interval '10 minutes', $4::timestamptz) end as finished_at) f
         cross join lateral (select case when s.status in ('dead', 'retrying') or a.attempts > 1
             then (array['TwilioRestException', 'TimeoutError', 'WorkerLost', 'ConnectionResetError'])[1 + b.h % 4]
             end as error_class) e`,
        [done + 1, last, count, now, mix.slots, mix.names, mix.lanes, mix.priorities, mix.crontab],
      );
      progress(`seeded ${last} executions`);
    }
    // Every attempt that ended; a running execution's current attempt has no row yet.
    await client.query(
      `insert into execution_attempts (execution_id, attempt, worker_id, started_at, finished_at,
                                       outcome, error_class, error_message)
       select e.id, n, e.worker_id, e.started_at - (e.attempts - n) * interval '30 s',
              case when n < e.attempts or e.status = 'retrying'
                   then e.started_at - (e.attempts - n) * interval '30 s' + interval '400 ms'
                   else e.finished_at end,
              case when n < e.attempts or e.status in ('dead', 'retrying') then
                     case when coalesce(e.error_class, 'TwilioRestException') = 'TimeoutError'
                          then 'timed_out' else 'failed' end
                   when e.status = 'cancelled' then 'cancelled' else 'succeeded' end,
              case when n < e.attempts or e.status in ('dead', 'retrying')
                   then coalesce(e.error_class, 'TwilioRestException') end,
              case when n < e.attempts or e.status in ('dead', 'retrying')
                   then coalesce(e.error_message, 'Too many requests') end
       from executions e
       cross join generate_series(1, e.attempts - (e.status = 'running')::int) n
       where e.attempts > 0`,
    );
    progress("seeded the attempts; building the ledger's indexes");
    await rebuildIndexes(client, deferred);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
  // As autovacuum leaves a settled table: statistics, visibility map and hint bits in place.
  await pool.query(
    "vacuum analyze executions, execution_attempts, execution_minutes, execution_totals, execution_error_totals",
  );
  return (performance.now() - started) / 1000;
}
