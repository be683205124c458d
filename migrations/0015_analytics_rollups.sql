-- Rollups that reports read instead of scanning calls: the additive parts of the call-center
-- metrics per call queue × local hour and per agent × local day, in a report time zone. Ratios
-- are computed when read, so a day, week or month sums its hours or days.

-- Answered within this many seconds counts toward the call queue's service level; null: the
-- SERVICE_LEVEL_SECONDS setting.
alter table call_queues add column service_level_seconds integer
  check (service_level_seconds between 0 and 86400);

create table call_queue_hours (
  time_zone text not null,
  -- The UTC instant the local hour starts: the two 01:00 hours of a day that falls back are
  -- two rows, the missing 02:00 of a day that springs forward none.
  hour_start timestamptz not null,
  call_queue_id bigint not null references call_queues (id) on delete cascade,
  -- The local wall-clock start of the hour, for labels and grouping by local day or week.
  local_hour timestamp not null,
  offered integer not null,
  answered integer not null,
  abandoned integer not null,
  short_abandoned integer not null,
  answered_within_threshold integer not null,
  answer_wait_seconds bigint not null,
  longest_wait_seconds integer,
  talk_seconds bigint not null,
  hold_seconds bigint not null,
  wrap_up_seconds bigint not null,
  primary key (time_zone, hour_start, call_queue_id)
);

-- Outbound calls per campaign × local hour (a null campaign: calls outside any), by outcome.
create table campaign_hours (
  time_zone text not null,
  hour_start timestamptz not null,
  campaign_id bigint references campaigns (id) on delete cascade,
  dialed integer not null,
  completed integer not null,
  busy integer not null,
  no_answer integer not null,
  failed integer not null,
  voicemail integer not null,
  unique nulls not distinct (time_zone, hour_start, campaign_id)
);

create table agent_days (
  time_zone text not null,
  -- The UTC instant the local day starts.
  day_start timestamptz not null,
  agent_id bigint not null references agents (id) on delete cascade,
  local_day date not null,
  handled integer not null,
  talk_seconds bigint not null,
  hold_seconds bigint not null,
  wrap_up_seconds bigint not null,
  -- Seconds of each state within the day; handling is busy or wrap-up for a call.
  available_seconds double precision not null,
  busy_seconds double precision not null,
  wrap_up_state_seconds double precision not null,
  handling_seconds double precision not null,
  logged_in_seconds double precision not null,
  primary key (time_zone, day_start, agent_id)
);

-- Which periods a rollup holds, when they were computed and with which thresholds: a period
-- computed before it ended, or with other thresholds, is read from calls instead. An `hour`
-- covers call_queue_hours and campaign_hours, an `agent_day` agent_days.
create table rollup_periods (
  rollup text not null check (rollup in ('hour', 'agent_day')),
  time_zone text not null,
  period_start timestamptz not null,
  period_end timestamptz not null,
  short_abandon_seconds integer not null,
  service_level_seconds integer not null,
  refreshed_at timestamptz not null,
  primary key (rollup, time_zone, period_start)
);

-- Recordings stored and transcribed in a period.
create index recordings_stored_at on recordings (stored_at) where stored_at is not null;
create index transcripts_completed_at on transcripts (completed_at) where status = 'completed';
