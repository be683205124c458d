-- Shared limits: rows every worker on every machine sees, so a limit holds across the fleet.
-- Times come from the database clock (clock_timestamp()), never from a worker's clock.

-- Token buckets, one per key (`twilio.calls`, `task:generate_report`). Refill is lazy: a bucket
-- holds `tokens` as of `updated_at` and is topped up by elapsed time when someone takes a token.
create table rate_limits (
  key text primary key,
  tokens double precision not null check (tokens >= 0),
  capacity double precision not null check (capacity >= 1),
  refill_per_second double precision not null check (refill_per_second > 0),
  updated_at timestamptz not null
);

-- Refills the bucket (creating it full), then takes one token if a whole one is there. The
-- upsert locks the row, so concurrent callers take turns and never overdraw the bucket.
create function take_rate_limit_token(
  p_key text,
  p_capacity double precision,
  p_refill_per_second double precision,
  out granted boolean,
  out retry_after_ms double precision
) language plpgsql volatile as $$
declare
  available double precision;
begin
  insert into rate_limits as bucket (key, tokens, capacity, refill_per_second, updated_at)
  values (p_key, p_capacity, p_capacity, p_refill_per_second, clock_timestamp())
  on conflict (key) do update set
    tokens = least(
      excluded.capacity,
      bucket.tokens + excluded.refill_per_second
        * greatest(0, extract(epoch from excluded.updated_at - bucket.updated_at))::double precision
    ),
    capacity = excluded.capacity,
    refill_per_second = excluded.refill_per_second,
    updated_at = greatest(bucket.updated_at, excluded.updated_at)
  returning bucket.tokens into available;

  granted := available >= 1;
  if granted then
    update rate_limits set tokens = tokens - 1 where key = p_key;
    retry_after_ms := 0;
  else
    retry_after_ms := (1 - available) / p_refill_per_second * 1000;
  end if;
end
$$;

-- Concurrency leases: at most N live rows per key. A lease that is not renewed before
-- `expires_at` stops counting and is deleted by the next acquire on its key.
create table concurrency_leases (
  key text not null,
  holder text not null,
  acquired_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (key, holder)
);

-- Circuit breakers, one per external service. `failures` counts consecutive failures while
-- closed; in half_open exactly one caller (`probe_holder`) tries the service.
create table circuit_breakers (
  name text primary key,
  state text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  failures integer not null default 0 check (failures >= 0),
  opened_at timestamptz,
  probe_holder text,
  probe_started_at timestamptz,
  updated_at timestamptz not null default clock_timestamp(),
  check (state = 'closed' or opened_at is not null),
  check (state <> 'half_open' or (probe_holder is not null and probe_started_at is not null))
);
