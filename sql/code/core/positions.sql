-- core/positions.sql: event positions handed to clients for read-your-writes.

create or replace function core.id_floor(p_at timestamptz) returns uuid
    language sql immutable strict parallel safe
as $$
    select encode(substring(int8send(floor(extract(epoch from p_at) * 1000)::bigint) from 3 for 6)
                  || '\x00000000000000000000'::bytea, 'hex')::uuid
$$;
comment on function core.id_floor(timestamptz) is
    'The smallest id (ULID) of a moment: every id made before p_at sorts below it. '
    'Mutations return core.id_floor(clock_timestamp() + 1 ms) as their event position.';
grant execute on function core.id_floor(timestamp with time zone) to rustok_analyst, rustok_app;

create or replace function core.event_position() returns uuid
    language sql volatile parallel safe
as $$ select core.id_floor(clock_timestamp() + interval '1 millisecond') $$;
comment on function core.event_position() is
    'A position above every event written so far in this transaction (see core.id_floor).';
grant execute on function core.event_position() to rustok_analyst, rustok_app;
