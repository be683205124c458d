-- The API's read path.

-- Takes up to `p_wanted` whole tokens at once from a bucket of `rate_limits` (refilled and created
-- full as by take_rate_limit_token): as many as are there, none when not even one is. An API
-- process takes a batch for a busy API token and spends it locally, instead of one write per
-- request. `retry_after_ms` is when the next token is due when none was granted, else 0.
create function take_rate_limit_tokens(
  p_key text,
  p_capacity double precision,
  p_refill_per_second double precision,
  p_wanted integer,
  out granted integer,
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

  granted := least(greatest(p_wanted, 1), floor(available))::integer;
  if granted > 0 then
    update rate_limits set tokens = tokens - granted where key = p_key;
    retry_after_ms := 0;
  else
    retry_after_ms := (1 - available) / p_refill_per_second * 1000;
  end if;
end
$$;

-- One token is a batch of one: the refill rule lives in take_rate_limit_tokens only.
create or replace function take_rate_limit_token(
  p_key text,
  p_capacity double precision,
  p_refill_per_second double precision,
  out granted boolean,
  out retry_after_ms double precision
) language sql volatile as $$
  select t.granted = 1, t.retry_after_ms
  from take_rate_limit_tokens(p_key, p_capacity, p_refill_per_second, 1) as t
$$;
