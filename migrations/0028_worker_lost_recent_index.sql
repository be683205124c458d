-- The fleet view names the last ten executions each lost worker abandoned, newest first: with
-- the start time in the index that is a short index range, not a sort of all of the worker's
-- lost attempts (whose estimated cost also pulled the workers query into JIT compilation).
create index execution_attempts_worker_lost_recent on execution_attempts (worker_id, started_at desc)
  where error_class = 'WorkerLost';
drop index execution_attempts_worker_lost;
