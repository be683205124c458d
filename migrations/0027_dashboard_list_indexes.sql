-- Lists the dashboard and the API page through newest first, and a call's recordings read by the
-- call's id: each one index range scan instead of a scan of the table. (A call's status events
-- are read by its sid, through call_events_once.)
create index campaigns_created on campaigns (created_at desc, id desc);
create index exports_created on exports (created_at desc, id desc);
create index recordings_call_id on recordings (call_id) where call_id is not null;
