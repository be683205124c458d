-- An execution's page lists its children (the executions it enqueued): without this index that
-- list reads the whole ledger.
create index executions_parent_id on executions (parent_id) where parent_id is not null;
