-- Each worker process holds a session advisory lock (Switchboard's worker class, key
-- `lock_key`) on a connection of its own. PostgreSQL frees it the moment that connection
-- closes, so a sweeper that can take it knows the process is gone, without waiting for its
-- heartbeat to go silent. `lock_taken_at` says when the lock was last taken: a lock taken
-- before the server's last start proves nothing (every session ended with the server).
alter table workers
  add column lock_key integer,
  add column lock_taken_at timestamptz,
  -- Why a worker stopped when it did not stop by itself: 'process_gone', 'silent'.
  add column stop_reason text;
