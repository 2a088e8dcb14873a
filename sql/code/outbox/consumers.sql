-- outbox/consumers.sql: consumers, their queues (deliveries) and the fan-out of events to them.

create or replace function outbox.tg_consumers__check_handler() returns trigger
    language plpgsql stable
as $$
begin
    if not exists (
        select 1 from pg_proc p
        where p.oid = new.handler
          and p.pronargs = 1
          and p.proargtypes[0] = 'outbox.events[]'::regtype
          and p.prorettype = 'void'::regtype
          and p.prokind = 'f')
    then
        raise exception 'outbox.consumers.handler: % must be a function (p_events outbox.events[]) returns void', new.handler
            using errcode = 'invalid_parameter_value', column = 'handler';
    end if;
    if new.event_types is not null and exists (select 1 from unnest(new.event_types) t where t is null or t !~ '^[A-Z][A-Za-z]+$') then
        raise exception 'outbox.consumers.event_types: every entry must be an event type like ProductUpdated (got %)', new.event_types
            using errcode = 'invalid_parameter_value', column = 'event_types';
    end if;
    if new.aggregate_types is not null and exists (select 1 from unnest(new.aggregate_types) t where t is null or t !~ '^[a-z][a-z_]*$') then
        raise exception 'outbox.consumers.aggregate_types: every entry must be an aggregate type like product (got %)', new.aggregate_types
            using errcode = 'invalid_parameter_value', column = 'aggregate_types';
    end if;
    return new;
end
$$;
comment on function outbox.tg_consumers__check_handler() is
    'BEFORE INSERT/UPDATE trigger on outbox.consumers: the handler must have the signature (outbox.events[]) returns void; '
    'event and aggregate type filters must be well-formed.';

-- No index on occurred_at: only the hourly purge asks by time, and the queue table is small (delete on success);
-- every index here costs each event's fan-out insert.
create or replace function outbox.tg_consumers__drop_queue() returns trigger
    language plpgsql volatile
as $$
begin
    delete from outbox.deliveries d using old_rows o where d.consumer = o.name;
    return null;
end
$$;
comment on function outbox.tg_consumers__drop_queue() is 'AFTER DELETE statement trigger on outbox.consumers: drops the queues of unregistered consumers.';

create or replace function outbox.tg_consumers__rename_queue() returns trigger
    language plpgsql volatile
as $$
begin
    if new.name is distinct from old.name then
        update outbox.deliveries d set consumer = new.name where d.consumer = old.name;
    end if;
    return null;
end
$$;
comment on function outbox.tg_consumers__rename_queue() is 'AFTER UPDATE trigger on outbox.consumers: a renamed consumer keeps its queue.';

-- ---------------------------------------------------------------- fan-out
create or replace function outbox.tg_events__fan_out() returns trigger
    language plpgsql volatile
as $$
declare
    v_rows bigint;
begin
    insert into outbox.deliveries (tenant_id, consumer, event_id, occurred_at, event_type)
    select n.tenant_id, c.name, n.id, n.occurred_at, n.event_type
    from new_rows n
    join outbox.consumers c
      on (c.event_types is null or n.event_type = any (c.event_types))
     and (c.aggregate_types is null or n.aggregate_type = any (c.aggregate_types));
    get diagnostics v_rows = row_count;
    -- the doorbell's cheap read here rather than in outbox._ring (which reads it again): no function call per
    -- statement while the workers are busy (~8,000 CPU instructions of ~840,000 for a single-row product update)
    if v_rows > 0 and exists (select from outbox.doorbell b where b.idle) then
        perform outbox._ring();
    end if;
    return null;
end
$$;
comment on function outbox.tg_events__fan_out() is
    'AFTER INSERT statement trigger on outbox.events: queues every new event for each consumer subscribed to it '
    '(one insert ... select over the transition table), then rings the doorbell if a worker is idle.';

-- ---------------------------------------------------------------- registration
create or replace function outbox.register_consumer(
    p_name            text,
    p_handler         regprocedure,
    p_event_types     text[] default null,
    p_aggregate_types text[] default null,
    p_batch_size      integer default 100,
    p_max_attempts    integer default 10,
    p_lease           interval default '5 minutes',
    p_description     text default null,
    p_enabled         boolean default true
) returns outbox.consumers
    language sql volatile
as $$
    insert into outbox.consumers as c (name, handler, event_types, aggregate_types, batch_size, max_attempts, lease, description, enabled)
    values (p_name, p_handler, p_event_types, p_aggregate_types, p_batch_size, p_max_attempts, p_lease, p_description, p_enabled)
    on conflict (name) do update
       set handler = excluded.handler, event_types = excluded.event_types, aggregate_types = excluded.aggregate_types,
           batch_size = excluded.batch_size, max_attempts = excluded.max_attempts, lease = excluded.lease,
           description = coalesce(excluded.description, c.description), enabled = excluded.enabled
    returning c.*
$$;
comment on function outbox.register_consumer(text, regprocedure, text[], text[], integer, integer, interval, text, boolean) is
    'Register (or update) a durable consumer. It receives the events inserted from now on (use ops.replay for history). '
    'psql: select outbox.register_consumer(''index'', ''index.handle_events(outbox.events[])'', p_aggregate_types => ''{product,node}'');';

create or replace function outbox.unregister_consumer(p_name text) returns bigint
    language plpgsql volatile
as $$
declare
    v_queued bigint;
begin
    select count(*) into v_queued from outbox.deliveries d where d.consumer = p_name;
    delete from outbox.consumers c where c.name = p_name;
    if not found then
        raise exception 'outbox.consumers.name: no consumer named %', p_name using errcode = 'no_data_found', column = 'name';
    end if;
    return v_queued;
end
$$;
comment on function outbox.unregister_consumer(text) is
    'Remove a consumer and its queue; returns how many queued deliveries were discarded.';

-- ---------------------------------------------------------------- claiming and processing
create or replace function outbox._consumer(p_consumer text) returns outbox.consumers
    language plpgsql stable
as $$
declare
    v_c outbox.consumers;
begin
    select * into v_c from outbox.consumers c where c.name = p_consumer;
    if not found then
        raise exception 'outbox.consumers.name: no consumer named %', p_consumer
            using errcode = 'no_data_found', column = 'name';
    end if;
    return v_c;
end
$$;
comment on function outbox._consumer(text) is 'The consumer row by name, or SQLSTATE P0002 naming outbox.consumers.name.';

-- ---------------------------------------------------------------- outbox.consumers

comment on table outbox.consumers is
    'Named durable consumers of outbox.events. Each gets its own queue (outbox.deliveries) of the events it '
    'subscribes to, so a slow or failing consumer never holds back another. Register with outbox.register_consumer().';
comment on column outbox.consumers.handler is
    'PL/pgSQL function handler(p_events outbox.events[]) returns void: processes a batch set-based and idempotently '
    '(re-reads current rows; an event may be delivered more than once). Raising an error fails the batch.';
comment on column outbox.consumers.enabled is
    'false pauses processing (the worker skips it) but its queue still fills; unregister to stop receiving events.';
comment on column outbox.consumers.event_types is 'Event types queued for this consumer; null = all.';
comment on column outbox.consumers.aggregate_types is 'Aggregate types queued for this consumer; null = all.';
comment on column outbox.consumers.max_attempts is 'After this many failed attempts a delivery goes to the dead state.';
comment on column outbox.consumers.lease is
    'How long a claim protects its deliveries from other workers; after a worker crash they return to the queue when it expires.';
comment on column outbox.consumers.backoff_base is 'Retry delay after the first failure; doubles per attempt up to backoff_max.';
comment on column outbox.consumers.name is
    'Consumer name (lowercase letters, digits, underscores); the key of its queue in outbox.deliveries.';
comment on column outbox.consumers.batch_size is 'Events claimed per batch (1-10000).';
comment on column outbox.consumers.backoff_max is 'Upper bound of the retry delay.';
comment on column outbox.consumers.description is 'What the consumer does, for operators.';
comment on column outbox.consumers.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column outbox.consumers.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

grant select on outbox.consumers to rustok_app;

create or replace trigger _100_timestamps before insert or update on outbox.consumers
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_check_handler before insert or update on outbox.consumers
    for each row
    execute function outbox.tg_consumers__check_handler();

create or replace trigger _900_drop_queue after delete on outbox.consumers
    referencing old table as old_rows for each statement
    execute function outbox.tg_consumers__drop_queue();

create or replace trigger _900_rename_queue after update of name on outbox.consumers
    for each row
    execute function outbox.tg_consumers__rename_queue();

-- ---------------------------------------------------------------- outbox.deliveries

comment on table outbox.deliveries is
    'The queues: one row per (consumer, event) not yet processed, keyed (tenant_id, consumer, event_id) like every '
    'tenant table. Deleted on success (the table stays small); state dead after max_attempts failures, with the last '
    'error. Claimed with FOR UPDATE SKIP LOCKED plus a lease, oldest first across tenants (deliveries_claim_idx).';
comment on column outbox.deliveries.tenant_id is
    'The event''s tenant (outbox.events.tenant_id), so the queue is keyed and distributed by tenant like the events '
    '(docs/scaling.md); the nil uuid for a delivery whose event row was gone when the column was added (migration 0150).';
comment on column outbox.deliveries.occurred_at is 'The event''s occurred_at (its partition key), to find it and to guard partition purges.';
comment on column outbox.deliveries.state is 'pending (in the queue) | dead (dead-letter: failed max_attempts times; retry with ops.retry_dead)';
comment on column outbox.deliveries.attempts is
    'Processing attempts so far: counted when a worker''s lease is committed (outbox.claim, so a crashed worker''s '
    'attempt counts too), or when a batch processed in the claiming transaction (outbox.process_batch, outbox.drain) '
    'fails it.';
comment on column outbox.deliveries.available_at is 'Not claimed before this moment (retry backoff).';
comment on column outbox.deliveries.locked_by is 'The worker holding the lease, while locked_until is in the future.';
comment on column outbox.deliveries.locked_pid is
    'The backend (pg_backend_pid) that took the lease: when it is gone (the worker was killed), the lease is taken over at once.';
comment on column outbox.deliveries.last_error is 'SQLSTATE and message of the last failure.';
comment on column outbox.deliveries.consumer is 'The consumer whose queue this is (outbox.consumers.name).';
comment on column outbox.deliveries.event_id is 'The event to deliver (outbox.events.id).';
comment on column outbox.deliveries.event_type is
    'The event''s type (copied, so a consumer''s queue can be inspected per type without the event).';
comment on column outbox.deliveries.locked_until is 'End of the current lease; null or past when nobody holds it.';
comment on column outbox.deliveries.last_error_at is 'When the last failure happened.';

-- A tenant table like outbox.events: the application role (the fan-out trigger, when the API writes) inserts only
-- its own tenant's deliveries; everything that reads or changes the queues runs as the owner or a definer function.
select core.enable_tenant_rls('outbox.deliveries');
grant insert on outbox.deliveries to rustok_app;
