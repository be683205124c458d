-- Execution ids are UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits.
-- New ids land at the right edge of the public_id index instead of on a random page, so an
-- enqueue or an update of a recent execution touches the few pages already in memory, and the
-- ids sort by creation time.
create function uuid_v7() returns uuid language sql volatile as $$
  select encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
              from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;

alter table executions alter column public_id set default uuid_v7();
