-- depends: 0001_core
-- The outbox: domain events written by triggers in the same transaction as the change.
-- This migration fixes the table's shape (the contract every module's triggers write to);
-- consumers, queues, the doorbell and operator functions come in later outbox migrations.

create schema outbox;
comment on schema outbox is 'Domain events (transactional outbox), consumer queues and their operator functions.';
grant usage on schema outbox to rustok_app, rustok_analyst;

create table outbox.events (
    id             uuid not null default core.new_id(),
    tenant_id      uuid not null,
    event_type     text not null check (event_type ~ '^[A-Z][A-Za-z]+$'),
    aggregate_type text not null check (aggregate_type ~ '^[a-z][a-z_]*$'),
    aggregate_id   uuid not null,
    payload        jsonb not null default '{}' check (jsonb_typeof(payload) = 'object'),
    occurred_at    timestamptz not null default now(),
    primary key (id, occurred_at)
) partition by range (occurred_at);

comment on table outbox.events is
    'Domain events (NodeCreated, ProductUpdated, OrderPlaced, ...) written by triggers in the writing transaction. '
    'Range-partitioned by occurred_at so history is dropped a partition at a time. An event is a marker: '
    'consumers re-read current rows, so payloads stay small.';
comment on column outbox.events.aggregate_type is 'node | product | order | user | tag | ... (the aggregate whose read rows to rebuild)';
comment on column outbox.events.payload is 'Small JSON facts about the change (old/new status, quantities); never the whole row.';

create table outbox.events_default partition of outbox.events default;
comment on table outbox.events_default is 'Catch-all partition; should stay empty when partitions are created ahead.';

create index events_tenant_time_idx on outbox.events (tenant_id, occurred_at);
create index events_aggregate_idx on outbox.events (aggregate_id);

-- Writers (the app role, through triggers) insert; RLS keeps tenants apart for direct reads.
grant select, insert on outbox.events to rustok_app;
grant select on outbox.events to rustok_analyst;
alter table outbox.events enable row level security;
create policy tenant_isolation on outbox.events to rustok_app
    using (tenant_id = core.current_tenant_id()) with check (tenant_id = core.current_tenant_id());
create policy analyst_read on outbox.events for select to rustok_analyst using (true);
