-- Execution metrics kept by the database: every statement that ends executions (the ledger
-- flush, durable endings, cancels, reconcile sweeps, expiry) or inserts them already ended adds
-- them, grouped, to per-minute rollups and to cumulative totals; every failed attempt is counted
-- by error class. `/metrics`, health windows and trends read these, never the ledger, so their
-- cost does not grow with it. Retention deletes executions, not totals: counters never go down.

-- Upper bounds (seconds) of the run-time histogram; `+Inf` is implied. The one list the SQL
-- side knows; `RUN_SECONDS_BUCKETS` in src/monitoring/metricsQueries.ts must match (a test
-- compares them).
create function execution_run_bucket_bounds() returns float8[]
  language sql immutable parallel safe
  return array[0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800]::float8[];

-- The same bounds negated, in ascending order, for width_bucket().
create function execution_run_bucket_thresholds() returns float8[]
  language sql immutable parallel safe
  as $$ select array(select -b from unnest(execution_run_bucket_bounds()) b order by b desc) $$;

-- The histogram bucket of a run time: the index (from 0) of the first bound it does not exceed,
-- the number of bounds when it exceeds them all (+Inf), -1 when the execution never started.
-- One expression, so the planner inlines it (and folds the arrays to constants): the triggers
-- call it for every ended execution.
create function execution_run_bucket(seconds float8) returns smallint
  language sql immutable parallel safe
  as $$ select (case when seconds is null then -1
                     else cardinality(execution_run_bucket_bounds())
                          - width_bucket(-seconds, execution_run_bucket_thresholds()) end)::smallint $$;

create table execution_minutes (
  -- The minute the executions ended in.
  minute timestamptz not null,
  lane text not null,
  task_name text not null,
  status text not null,
  bucket smallint not null,
  executions bigint not null,
  -- finished − started (the last attempt's start), for executions that started.
  run_seconds_sum float8 not null,
  -- started − run_at, for executions that started.
  wait_seconds_sum float8 not null,
  primary key (minute, lane, task_name, status, bucket)
);

create table execution_totals (
  lane text not null,
  task_name text not null,
  status text not null,
  bucket smallint not null,
  executions bigint not null,
  run_seconds_sum float8 not null,
  primary key (lane, task_name, status, bucket)
);

create table execution_error_totals (
  lane text not null,
  task_name text not null,
  -- The attempt's error class, else its outcome (timed_out, cancelled, abandoned).
  error_class text not null,
  errors bigint not null,
  primary key (lane, task_name, error_class)
);

-- Adds ended executions, already grouped by (minute, lane, task_name, status, bucket), to the
-- minutes and the totals. Rows are upserted in key order, minutes then totals, so two
-- statements counting at once lock the same rows in the same order and cannot deadlock.
create function count_execution_endings(ended execution_minutes[]) returns void
  language plpgsql as $$
begin
  insert into execution_minutes as m
  select * from unnest(ended) e
  order by e.minute, e.lane, e.task_name, e.status, e.bucket
  on conflict (minute, lane, task_name, status, bucket) do update set
    executions = m.executions + excluded.executions,
    run_seconds_sum = m.run_seconds_sum + excluded.run_seconds_sum,
    wait_seconds_sum = m.wait_seconds_sum + excluded.wait_seconds_sum;

  insert into execution_totals as t
  select e.lane, e.task_name, e.status, e.bucket, sum(e.executions), sum(e.run_seconds_sum)
  from unnest(ended) e
  group by e.lane, e.task_name, e.status, e.bucket
  order by e.lane, e.task_name, e.status, e.bucket
  on conflict (lane, task_name, status, bucket) do update set
    executions = t.executions + excluded.executions,
    run_seconds_sum = t.run_seconds_sum + excluded.run_seconds_sum;
end $$;

-- Executions whose status moved from a live one to a terminal one in this statement
-- (`finished_at` null counts as now).
create function count_ended_executions() returns trigger
  language plpgsql as $$
declare
  ended execution_minutes[];
begin
  -- (greatest() skips nulls: an execution that never started would get 0, hence the cases.)
  select array_agg(row(g.minute, g.lane, g.task_name, g.status, g.bucket, g.executions,
                       g.run_seconds_sum, g.wait_seconds_sum)::execution_minutes)
  into ended
  from (
    select date_trunc('minute', x.ended) as minute, x.lane, x.task_name, x.status,
           execution_run_bucket(x.run) as bucket, count(*) as executions,
           coalesce(sum(x.run), 0) as run_seconds_sum, coalesce(sum(x.wait), 0) as wait_seconds_sum
    from (
      select n.lane, n.task_name, n.status, coalesce(n.finished_at, now()) as ended,
             case when n.started_at is not null then greatest(
               extract(epoch from coalesce(n.finished_at, now()) - n.started_at), 0)::float8
             end as run,
             case when n.started_at is not null then greatest(
               extract(epoch from n.started_at - n.run_at), 0)::float8
             end as wait
      from new_executions n join old_executions o on o.id = n.id
      where n.status in ('succeeded', 'dead', 'cancelled', 'expired')
        and o.status not in ('succeeded', 'dead', 'cancelled', 'expired')
    ) x
    group by 1, 2, 3, 4, 5
  ) g;
  if ended is not null then
    perform count_execution_endings(ended);
  end if;
  return null;
end $$;

-- Executions inserted already ended (imports, restores): counted like any other ending.
create function count_inserted_endings() returns trigger
  language plpgsql as $$
declare
  ended execution_minutes[];
begin
  -- (greatest() skips nulls: an execution that never started would get 0, hence the cases.)
  select array_agg(row(g.minute, g.lane, g.task_name, g.status, g.bucket, g.executions,
                       g.run_seconds_sum, g.wait_seconds_sum)::execution_minutes)
  into ended
  from (
    select date_trunc('minute', x.ended) as minute, x.lane, x.task_name, x.status,
           execution_run_bucket(x.run) as bucket, count(*) as executions,
           coalesce(sum(x.run), 0) as run_seconds_sum, coalesce(sum(x.wait), 0) as wait_seconds_sum
    from (
      select n.lane, n.task_name, n.status, coalesce(n.finished_at, now()) as ended,
             case when n.started_at is not null then greatest(
               extract(epoch from coalesce(n.finished_at, now()) - n.started_at), 0)::float8
             end as run,
             case when n.started_at is not null then greatest(
               extract(epoch from n.started_at - n.run_at), 0)::float8
             end as wait
      from new_executions n
      where n.status in ('succeeded', 'dead', 'cancelled', 'expired')
    ) x
    group by 1, 2, 3, 4, 5
  ) g;
  if ended is not null then
    perform count_execution_endings(ended);
  end if;
  return null;
end $$;

create trigger executions_count_endings
  after update on executions
  referencing old table as old_executions new table as new_executions
  for each statement execute function count_ended_executions();

create trigger executions_count_inserted_endings
  after insert on executions
  referencing new table as new_executions
  for each statement execute function count_inserted_endings();

-- Failed attempts by error class. A snooze is a deliberate delay, not an error; a success is
-- not one either.
create function count_failed_attempts() returns trigger
  language plpgsql as $$
begin
  insert into execution_error_totals as t
  select e.lane, e.task_name, coalesce(a.error_class, a.outcome), count(*)
  from new_attempts a join executions e on e.id = a.execution_id
  where a.outcome not in ('succeeded', 'snoozed')
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (lane, task_name, error_class) do update set errors = t.errors + excluded.errors;
  return null;
end $$;

create trigger execution_attempts_count_failures
  after insert on execution_attempts
  referencing new table as new_attempts
  for each statement execute function count_failed_attempts();
