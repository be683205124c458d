-- Critical alerts (src/alerts/): one row per firing of a named condition's instance (a lane, a
-- breaker, a worker type on a host...), open until the condition stops firing. The health check
-- opens, resolves and re-notifies them; each mail sent is a send_email job enqueued in the same
-- transaction.
create table alerts (
  id bigint generated always as identity primary key,
  condition text not null,
  -- Which instance of the condition: the lane, the breaker's name, `type@host`; '' when the
  -- condition has a single instance.
  instance_key text not null default '',
  severity text not null check (severity in ('critical', 'warning')),
  summary text not null,
  details jsonb not null default '{}',
  started_at timestamptz not null default now(),
  -- The latest check that saw it firing; its summary and details are that check's.
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz,
  last_notified_at timestamptz,
  notifications integer not null default 0
);

-- At most one open alert per condition instance: concurrent checks cannot open two.
create unique index alerts_open_instance on alerts (condition, instance_key) where resolved_at is null;
-- Newest first, with `id` breaking ties, for keyset pagination over (started_at, id).
create index alerts_started_at on alerts (started_at desc, id desc);
