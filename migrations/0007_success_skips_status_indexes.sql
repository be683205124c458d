-- Successes are most of the ledger's updates. An update that is not HOT adds an entry for the
-- new row version to every index whose predicate it meets, so the indexes that lead with the
-- status leave succeeded executions out: a success then adds two index entries fewer.
-- Lists of succeeded executions (most rows) page the created_at index and filter by status.
drop index executions_status_created_at;
create index executions_status_created_at on executions (status, created_at desc, id desc)
  where status <> 'succeeded';

drop index executions_lane_status;
create index executions_lane_status on executions (lane, status, created_at desc, id desc)
  where status <> 'succeeded';
