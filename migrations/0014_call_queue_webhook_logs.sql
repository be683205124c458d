-- The call-queue webhooks (a caller rings in, the <Enqueue> action, an agent's leg, the <Queue>
-- url on the dequeued caller's leg) are logged like the other Twilio webhooks. They are applied
-- as they arrive, in the transaction that logs them: Twilio waits for their TwiML.
alter table webhook_logs drop constraint webhook_logs_kind_check;
alter table webhook_logs add constraint webhook_logs_kind_check check (kind in (
  'call-status', 'recording-status', 'transcription',
  'inbound-call', 'call-queue-result', 'agent-leg', 'agent-answer'));
