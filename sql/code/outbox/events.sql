-- outbox/events.sql: the event log (outbox.events) and reading it by position.

create or replace function outbox.events_since(p_since timestamptz, p_limit integer default 1000,
                                    p_tenant_id uuid default core.current_tenant_id())
    returns setof outbox.events
    language sql stable
as $$
    select core.require_permission('events:read');
    select e.* from outbox.events e
    where e.tenant_id = p_tenant_id and e.occurred_at >= p_since
    order by e.occurred_at, e.id
    limit least(greatest(p_limit, 1), 10000)
$$;
comment on function outbox.events_since(timestamptz, integer, uuid) is
    'Event history of a tenant from p_since, oldest first: what live listeners (GraphQL subscriptions) read after a '
    'doorbell instead of a durable queue. occurred_at is the writing transaction''s start and commits arrive out of '
    'order, so re-read with an overlap (e.g. from the last seen occurred_at minus a few seconds) and skip ids already seen. '
    'Permission events:read (the acting user''s; the system, with none, may).';
grant execute on function outbox.events_since(timestamp with time zone,integer,uuid) to rustok_app;

-- ---------------------------------------------------------------- outbox.events

comment on domain outbox.event_type is
    'Type of outbox.events.event_type: an event name in PascalCase (check events_event_type_check). A domain rather '
    'than a table CHECK: its check stays planned in the type cache instead of being read and planned per statement.';
comment on domain outbox.aggregate_type is
    'Type of outbox.events.aggregate_type: snake_case (check events_aggregate_type_check); a domain for the same reason.';
comment on domain outbox.event_payload is
    'Type of outbox.events.payload: a JSON object (check events_payload_check); a domain for the same reason.';
comment on domain outbox.delivery_state is
    'Type of outbox.deliveries.state: pending | dead (check deliveries_state_check); a domain for the same reason.';

comment on table outbox.events is
    'Domain events (NodeCreated, ProductUpdated, OrderPlaced, ...) written by triggers in the writing transaction. '
    'Range-partitioned by occurred_at so history is dropped a partition at a time; keyed (tenant_id, occurred_at, id), '
    'which also serves reading a tenant''s history by time (outbox.events_since). An event is a marker: '
    'consumers re-read current rows, so payloads stay small.';
comment on column outbox.events.aggregate_type is 'node | product | order | user | tag | ... (the aggregate whose read rows to rebuild)';
comment on column outbox.events.payload is 'Small JSON facts about the change (old/new status, quantities); never the whole row.';
comment on column outbox.events.id is
    'Event id: uuidv7() (a 48-bit millisecond timestamp first, like core.new_id()''s ULIDs), so ids sort by time and '
    'core.id_time() reads them; made in C (core.new_id() is a SQL function, a cost per event).';
comment on column outbox.events.tenant_id is
    'The tenant the event belongs to (core.tenants.id); row-level security policy tenant_isolation keys on it, and '
    'it leads the key (tenant_id, occurred_at, id), the distribution column on Citus. Every event has a tenant: '
    'an event of the platform itself (none exists today) would use the nil uuid 00000000-0000-0000-0000-000000000000.';
comment on column outbox.events.event_type is 'Event name in PascalCase, e.g. ProductUpdated.';
comment on column outbox.events.aggregate_id is 'Id of the aggregate that changed (node, product, order, ...).';
comment on column outbox.events.occurred_at is
    'When the event was written (the writing transaction''s time): the range partition key.';

select core.enable_tenant_rls('outbox.events');
select core.allow_analyst_read('outbox.events');
grant select, insert on outbox.events to rustok_app;
grant select on outbox.events to rustok_analyst;

create or replace trigger _900_fan_out after insert on outbox.events
    referencing new table as new_rows for each statement
    execute function outbox.tg_events__fan_out();
