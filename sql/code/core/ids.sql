-- core/ids.sql: ULID ids made in SQL (same layout as python-ulid).

-- ---------------------------------------------------------------- ids
create or replace function core.new_id() returns uuid
    language sql volatile parallel safe
as $$
    -- ULID layout, exactly as python-ulid: 48-bit big-endian unix milliseconds,
    -- then 80 random bits (bytes 1-6 and 11-14 of a v4 uuid are fully random).
    select encode(
        substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3 for 6)
        || substring(uuid_send(r) from 1 for 6)
        || substring(uuid_send(r) from 11 for 4),
        'hex')::uuid
    from (select gen_random_uuid() as r) as rnd
$$;
comment on function core.new_id() is
    'A new id: a ULID (48-bit ms timestamp + 80 random bits) stored as uuid. Sorts by creation time; parses with python-ulid.';
grant execute on function core.new_id() to rustok_analyst, rustok_app;

create or replace function core.id_time(p_id uuid) returns timestamptz
    language sql immutable strict parallel safe
as $$
    select to_timestamp(('x' || substr(replace(p_id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
$$;
comment on function core.id_time(uuid) is 'The creation moment encoded in a ULID id (millisecond precision).';
grant execute on function core.id_time(uuid) to rustok_analyst, rustok_app;
