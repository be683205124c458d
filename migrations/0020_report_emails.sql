-- The recipients a report has been emailed to (its send_email jobs enqueued with the report
-- marked ready): a retried or refreshed build emails only those not in this list, so each
-- recipient gets a report once.
alter table reports add column emailed_to text[] not null default '{}';
