-- outbox/positions.sql: read-your-writes: has a consumer caught up to a position.

-- Read-your-writes for API clients: has a consumer processed every event of the current tenant up to a position?
create or replace function outbox.caught_up(p_consumer text, p_position uuid) returns boolean
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
    select not exists (
        select from outbox.deliveries d
        where d.tenant_id = core.current_tenant_id() and d.consumer = p_consumer and d.event_id <= p_position
          and d.state = 'pending')
$$;
comment on function outbox.caught_up(text, uuid) is
    'True when the consumer has no pending event of the current tenant at or below the position a mutation returned '
    '(core.event_position()). Dead-lettered events do not hold it back (see outbox.dead_letters).';
-- definer (reads the queue); answers for the current tenant only
revoke all on function outbox.caught_up(text,uuid) from public, rustok_app, rustok_analyst;
grant execute on function outbox.caught_up(text,uuid) to rustok_app;
