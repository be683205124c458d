-- The rollup triggers of 0024 count each statement's endings in one SQL statement: grouped,
-- then upserted into the minutes and the totals, with no array built, no second function call,
-- and run and wait times in float8 (date_part) rather than numeric (extract). The ledger flush
-- fires the update trigger once per batch of jobs, so its cost is paid per batch on the engine's
-- hot path. What is counted is unchanged.
--
-- Minutes are upserted first, then totals (a data-modifying WITH query not read by the main
-- one runs after it), each in key order: two statements counting at once lock the same rows
-- in the same order and cannot deadlock.

create or replace function count_ended_executions() returns trigger
  language plpgsql as $$
begin
  with ended as (
    select date_trunc('minute', x.ended) as minute, x.lane, x.task_name, x.status,
           execution_run_bucket(x.run) as bucket, count(*) as executions,
           coalesce(sum(x.run), 0) as run_seconds_sum, coalesce(sum(x.wait), 0) as wait_seconds_sum
    from (
      -- (greatest() skips nulls: an execution that never started would get 0, hence the cases.)
      select n.lane, n.task_name, n.status, coalesce(n.finished_at, now()) as ended,
             case when n.started_at is not null then greatest(
               date_part('epoch', coalesce(n.finished_at, now()) - n.started_at), 0) end as run,
             case when n.started_at is not null then greatest(
               date_part('epoch', n.started_at - n.run_at), 0) end as wait
      from new_executions n join old_executions o on o.id = n.id
      where n.status in ('succeeded', 'dead', 'cancelled', 'expired')
        and o.status not in ('succeeded', 'dead', 'cancelled', 'expired')
    ) x
    group by 1, 2, 3, 4, 5
  ),
  totals as (
    insert into execution_totals as t
    select e.lane, e.task_name, e.status, e.bucket, sum(e.executions), sum(e.run_seconds_sum)
    from ended e
    group by e.lane, e.task_name, e.status, e.bucket
    order by e.lane, e.task_name, e.status, e.bucket
    on conflict (lane, task_name, status, bucket) do update set
      executions = t.executions + excluded.executions,
      run_seconds_sum = t.run_seconds_sum + excluded.run_seconds_sum
  )
  insert into execution_minutes as m
  select * from ended e
  order by e.minute, e.lane, e.task_name, e.status, e.bucket
  on conflict (minute, lane, task_name, status, bucket) do update set
    executions = m.executions + excluded.executions,
    run_seconds_sum = m.run_seconds_sum + excluded.run_seconds_sum,
    wait_seconds_sum = m.wait_seconds_sum + excluded.wait_seconds_sum;
  return null;
end $$;

create or replace function count_inserted_endings() returns trigger
  language plpgsql as $$
begin
  with ended as (
    select date_trunc('minute', x.ended) as minute, x.lane, x.task_name, x.status,
           execution_run_bucket(x.run) as bucket, count(*) as executions,
           coalesce(sum(x.run), 0) as run_seconds_sum, coalesce(sum(x.wait), 0) as wait_seconds_sum
    from (
      select n.lane, n.task_name, n.status, coalesce(n.finished_at, now()) as ended,
             case when n.started_at is not null then greatest(
               date_part('epoch', coalesce(n.finished_at, now()) - n.started_at), 0) end as run,
             case when n.started_at is not null then greatest(
               date_part('epoch', n.started_at - n.run_at), 0) end as wait
      from new_executions n
      where n.status in ('succeeded', 'dead', 'cancelled', 'expired')
    ) x
    group by 1, 2, 3, 4, 5
  ),
  totals as (
    insert into execution_totals as t
    select e.lane, e.task_name, e.status, e.bucket, sum(e.executions), sum(e.run_seconds_sum)
    from ended e
    group by e.lane, e.task_name, e.status, e.bucket
    order by e.lane, e.task_name, e.status, e.bucket
    on conflict (lane, task_name, status, bucket) do update set
      executions = t.executions + excluded.executions,
      run_seconds_sum = t.run_seconds_sum + excluded.run_seconds_sum
  )
  insert into execution_minutes as m
  select * from ended e
  order by e.minute, e.lane, e.task_name, e.status, e.bucket
  on conflict (minute, lane, task_name, status, bucket) do update set
    executions = m.executions + excluded.executions,
    run_seconds_sum = m.run_seconds_sum + excluded.run_seconds_sum,
    wait_seconds_sum = m.wait_seconds_sum + excluded.wait_seconds_sum;
  return null;
end $$;

drop function count_execution_endings(execution_minutes[]);
