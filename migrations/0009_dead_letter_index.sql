-- The dead-letter queue is listed newest failure first. Dead executions are few among many
-- finished ones, so they get an index of their own instead of a walk of finished_at.
create index executions_dead_finished_at on executions (finished_at desc, id desc)
  where status = 'dead';
