-- The task names each worker's code knows, so jobs of a task no live worker knows (a task removed
-- in a deploy) can be parked out of the job fetch (src/engine/fleet/unknownTasks.ts). Null: the
-- worker did not say (a version before this one), so it may know any task.
alter table workers add column tasks text[];

-- Parked jobs carry this lock. The index holds only them, so unparking a task's jobs, counting
-- them for health and purging them read those rows, not the whole queue; any other job fails
-- the predicate and adds no entry.
create index switchboard_parked_jobs on graphile_worker._private_jobs (task_id)
  where locked_by = 'switchboard:unknown_task';
