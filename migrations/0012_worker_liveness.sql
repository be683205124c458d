-- Each worker process holds a session advisory lock (Switchboard's worker class, key
-- `lock_key`) on a connection of its own. PostgreSQL frees it the moment that connection
-- closes, so a sweeper that can take it knows the process is gone, without waiting for its
-- heartbeat to go silent. `lock_server_started_at` is the start time of the server the lock was
-- last taken on: a lock taken on an earlier run of the server, or on another server before a
-- failover, proves nothing (every session ended with it).
alter table workers
  add column lock_key integer,
  add column lock_server_started_at timestamptz,
  -- Why a worker stopped when it did not stop by itself: 'process_gone', 'silent'.
  add column stop_reason text,
  -- When this worker's heartbeats came back after failing (it was cut off from the database):
  -- silence before then may be an outage's, not a dead worker's.
  add column reconnected_at timestamptz;

-- The fleet view names the executions a lost worker abandoned.
create index execution_attempts_worker_lost on execution_attempts (worker_id)
  where error_class = 'WorkerLost';
