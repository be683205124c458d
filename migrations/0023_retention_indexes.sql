-- Retention deletes old rows in batches, walking each table oldest first by (time, id) from
-- where the last batch stopped: these indexes make each batch an index range, not a scan.
-- Executions walk `executions_finished_at`; the audit log walks `audit_log_at`.
create index webhook_logs_received_at on webhook_logs (received_at, id);
create index call_events_received_at on call_events (received_at, id);

-- Deleting a webhook log checks that no duplicate still points at it (`duplicate_of`): without
-- this index, that check reads the whole table for every row deleted.
create index webhook_logs_duplicate_of on webhook_logs (duplicate_of) where duplicate_of is not null;
