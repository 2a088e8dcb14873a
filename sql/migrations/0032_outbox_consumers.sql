-- depends: 0031_outbox_partitions
-- Durable consumers of the outbox: a registry, one queue of deliveries per consumer (fan-out by a
-- statement trigger on outbox.events), set-based claiming with leases, batch processing with
-- per-event retry and dead-lettering, and the NOTIFY doorbell.

-- ---------------------------------------------------------------- consumers
create table outbox.consumers (
    name            text primary key
                    constraint consumers_name_format check (name ~ '^[a-z][a-z0-9_]*$'),
    handler         regprocedure not null,
    enabled         boolean not null default true,
    event_types     text[],
    aggregate_types text[],
    batch_size      integer not null default 100
                    constraint consumers_batch_size_range check (batch_size between 1 and 10000),
    max_attempts    integer not null default 10
                    constraint consumers_max_attempts_range check (max_attempts between 1 and 1000),
    lease           interval not null default '5 minutes'
                    constraint consumers_lease_positive check (lease > interval '0'),
    backoff_base    interval not null default '1 second'
                    constraint consumers_backoff_base_nonnegative check (backoff_base >= interval '0'),
    backoff_max     interval not null default '15 minutes'
                    constraint consumers_backoff_max_nonnegative check (backoff_max >= interval '0'),
    description     text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
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
create trigger _100_timestamps before insert or update on outbox.consumers
    for each row execute function core.tg__timestamps();

create function outbox.tg_consumers__check_handler() returns trigger
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
create trigger _200_check_handler before insert or update on outbox.consumers
    for each row execute function outbox.tg_consumers__check_handler();

-- ---------------------------------------------------------------- deliveries (the per-consumer queues)
create table outbox.deliveries (
    consumer      text not null,
    event_id      uuid not null,
    occurred_at   timestamptz not null,
    event_type    text not null,
    state         text not null default 'pending'
                  constraint deliveries_state_check check (state in ('pending', 'dead')),
    attempts      integer not null default 0,
    available_at  timestamptz not null default now(),
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    last_error_at timestamptz,
    primary key (consumer, event_id)
) with (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
        autovacuum_vacuum_insert_scale_factor = 0.01);
comment on table outbox.deliveries is
    'The queues: one row per (consumer, event) not yet processed. Deleted on success (the table stays small); '
    'state dead after max_attempts failures, with the last error. Claimed with FOR UPDATE SKIP LOCKED plus a lease.';
comment on column outbox.deliveries.occurred_at is 'The event''s occurred_at (its partition key), to find it and to guard partition purges.';
comment on column outbox.deliveries.state is 'pending (in the queue) | dead (dead-letter: failed max_attempts times; retry with ops.retry_dead)';
comment on column outbox.deliveries.attempts is 'Processing attempts so far (counted at claim time, so a crashed worker''s attempt counts too).';
comment on column outbox.deliveries.available_at is 'Not claimed before this moment (retry backoff).';
comment on column outbox.deliveries.locked_by is 'The worker holding the lease, while locked_until is in the future.';
comment on column outbox.deliveries.last_error is 'SQLSTATE and message of the last failure.';
-- No foreign keys on this hot path: an FK to consumers would take a KEY SHARE lock per insert on the same
-- consumer rows (multixacts); unregistering deletes the queue by trigger instead.
create index deliveries_claim_idx on outbox.deliveries (consumer, available_at) where state = 'pending';
create index deliveries_dead_idx on outbox.deliveries (consumer, event_type) where state = 'dead';
-- No index on occurred_at: only the hourly purge asks by time, and the queue table is small (delete on success);
-- every index here costs each event's fan-out insert.

create function outbox.tg_consumers__drop_queue() returns trigger
    language plpgsql volatile
as $$
begin
    delete from outbox.deliveries d using old_rows o where d.consumer = o.name;
    return null;
end
$$;
comment on function outbox.tg_consumers__drop_queue() is 'AFTER DELETE statement trigger on outbox.consumers: drops the queues of unregistered consumers.';
create trigger _900_drop_queue after delete on outbox.consumers
    referencing old table as old_rows for each statement execute function outbox.tg_consumers__drop_queue();

create function outbox.tg_consumers__rename_queue() returns trigger
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
create trigger _900_rename_queue after update of name on outbox.consumers
    for each row execute function outbox.tg_consumers__rename_queue();

-- ---------------------------------------------------------------- the doorbell
create table outbox.doorbell (
    id         boolean primary key default true check (id),
    idle       boolean not null default false,
    changed_at timestamptz not null default now()
);
comment on table outbox.doorbell is
    'One-row doorbell flag. A worker sets idle = true before it sleeps; the first transaction that queues work '
    'afterwards clears it and sends NOTIFY rustok_outbox (empty payload, at its commit). While workers are busy '
    'nothing is notified, keeping NOTIFY (a commit-serializing lock) off the hot write path.';
insert into outbox.doorbell default values;

create function outbox._ring() returns void
    language plpgsql volatile
as $$
begin
    -- Cheap read first; lock only on the idle -> busy transition, and never wait for another ringer.
    if exists (select 1 from outbox.doorbell b where b.idle) then
        perform 1 from outbox.doorbell b where b.idle for update skip locked;
        if found then
            update outbox.doorbell set idle = false, changed_at = now() where id;
            perform pg_notify('rustok_outbox', '');
        end if;
    end if;
end
$$;
comment on function outbox._ring() is
    'Ring the doorbell when a worker is idle: clear the flag and NOTIFY rustok_outbox with an empty payload. '
    'If another transaction is ringing right now, do nothing (its notify, or the worker''s poll, covers us).';

create function outbox.set_idle() returns boolean
    language plpgsql volatile
as $$
begin
    update outbox.doorbell b set idle = true, changed_at = now()
    where b.id and not b.idle
      and b.id in (select x.id from outbox.doorbell x for update skip locked);
    return true;
end
$$;
comment on function outbox.set_idle() is
    'Called by a worker before it sleeps: ask writers to ring the doorbell (NOTIFY) for the next queued work. '
    'Never waits for a ringing writer''s lock (that writer''s NOTIFY is on its way).';

-- ---------------------------------------------------------------- fan-out
create function outbox.tg_events__fan_out() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_rows bigint;
begin
    insert into outbox.deliveries (consumer, event_id, occurred_at, event_type)
    select c.name, n.id, n.occurred_at, n.event_type
    from new_rows n
    join outbox.consumers c
      on (c.event_types is null or n.event_type = any (c.event_types))
     and (c.aggregate_types is null or n.aggregate_type = any (c.aggregate_types));
    get diagnostics v_rows = row_count;
    if v_rows > 0 then
        perform outbox._ring();
    end if;
    return null;
end
$$;
comment on function outbox.tg_events__fan_out() is
    'AFTER INSERT statement trigger on outbox.events: queues every new event for each consumer subscribed to it '
    '(one insert ... select over the transition table), then rings the doorbell if a worker is idle.';
create trigger _900_fan_out after insert on outbox.events
    referencing new table as new_rows for each statement execute function outbox.tg_events__fan_out();

-- ---------------------------------------------------------------- registration
create function outbox.register_consumer(
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

create function outbox.unregister_consumer(p_name text) returns bigint
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
create function outbox._consumer(p_consumer text) returns outbox.consumers
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

create function outbox._session_worker() returns text
    language sql stable
as $$ select 'session:' || pg_backend_pid() || ':' || to_char(pg_postmaster_start_time(), 'YYYYMMDDHH24MISS') $$;
comment on function outbox._session_worker() is 'Worker name used when none is given (a psql session): session:<pid>:<server start>.';

create function outbox.claim(p_consumer text, p_worker text, p_limit integer default null) returns integer
    language plpgsql volatile
as $$
declare
    v_c     outbox.consumers := outbox._consumer(p_consumer);
    v_limit integer := coalesce(p_limit, v_c.batch_size);
    v_rows  integer;
begin
    if p_worker is null or btrim(p_worker) = '' then
        raise exception 'p_worker: a worker name is required' using errcode = 'invalid_parameter_value';
    end if;
    if v_limit < 1 then
        raise exception 'p_limit: must be at least 1 (got %)', v_limit using errcode = 'invalid_parameter_value';
    end if;
    with picked as (
        select d.event_id
        from outbox.deliveries d
        where d.consumer = p_consumer and d.state = 'pending' and d.available_at <= now()
          and (d.locked_until is null or d.locked_until < now())
        order by d.available_at
        limit v_limit
        for update skip locked
    )
    update outbox.deliveries d
       set attempts = d.attempts + 1,
           locked_by = p_worker,
           locked_until = clock_timestamp() + v_c.lease,
           last_error = case when d.locked_until is not null
                             then format('lease of %s expired (worker crashed or too slow)', d.locked_by)
                             else d.last_error end,
           last_error_at = case when d.locked_until is not null then now() else d.last_error_at end
      from picked p
     where d.consumer = p_consumer and d.event_id = p.event_id;
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function outbox.claim(text, text, integer) is
    'Lease up to p_limit (default batch_size) available deliveries of a consumer to worker p_worker for the consumer''s lease, '
    'counting the attempt. Run it in its own committed transaction, then outbox.process_batch(consumer, limit, worker): '
    'if the worker dies in between or during processing, the deliveries return to the queue when the lease expires.';

create function outbox.release(p_consumer text, p_worker text) returns integer
    language plpgsql volatile
as $$
declare
    v_rows integer;
begin
    update outbox.deliveries d
       set locked_by = null, locked_until = null, attempts = greatest(d.attempts - 1, 0)
     where d.consumer = p_consumer and d.locked_by = p_worker and d.state = 'pending';
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function outbox.release(text, text) is
    'Give back the deliveries a worker leased but did not process (graceful shutdown); the attempt is not counted.';

create function outbox._error_text(p_sqlstate text, p_message text) returns text
    language sql immutable
as $$ select p_sqlstate || ': ' || left(p_message, 2000) $$;
comment on function outbox._error_text(text, text) is 'Error text stored in outbox.deliveries.last_error: "SQLSTATE: message".';

create function outbox.process_batch(p_consumer text, p_limit integer default null, p_worker text default null)
    returns table (claimed integer, succeeded integer, failed integer, dead integer)
    language plpgsql volatile
as $$
declare
    v_c        outbox.consumers := outbox._consumer(p_consumer);
    v_worker   text := coalesce(nullif(btrim(p_worker), ''), outbox._session_worker());
    v_limit    integer := coalesce(p_limit, v_c.batch_size);
    v_call     text;
    v_ids      uuid[];
    v_events   outbox.events[];
    v_event    outbox.events;
    v_ok       uuid[] := '{}';
    v_bad_ids  uuid[] := '{}';
    v_bad_errs text[] := '{}';
    v_state    text;
    v_msg      text;
begin
    claimed := 0; succeeded := 0; failed := 0; dead := 0;
    if v_limit < 1 then
        raise exception 'p_limit: must be at least 1 (got %)', v_limit using errcode = 'invalid_parameter_value';
    end if;
    select format('%I.%I', n.nspname, p.proname) into v_call
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where p.oid = v_c.handler;
    if v_call is null then
        raise exception 'outbox.consumers.handler: the handler of consumer % (oid %) no longer exists', p_consumer, v_c.handler::oid
            using errcode = 'object_not_in_prerequisite_state', column = 'handler',
                  hint = 'recreate the function, or: select outbox.register_consumer(...) with the new handler';
    end if;

    -- Claim: our own live leases (from outbox.claim) plus anything free, locked for this transaction.
    with picked as (
        select d.event_id
        from outbox.deliveries d
        where d.consumer = p_consumer and d.state = 'pending'
          and ((d.locked_by = v_worker and d.locked_until >= now())
               or (d.available_at <= now() and (d.locked_until is null or d.locked_until < now())))
        order by (d.locked_by = v_worker and d.locked_until >= now()) desc, d.available_at
        limit v_limit
        for update skip locked
    ), upd as (
        update outbox.deliveries d
           set attempts = d.attempts + case when d.locked_by = v_worker and d.locked_until >= now() then 0 else 1 end,
               locked_by = v_worker,
               locked_until = greatest(d.locked_until, clock_timestamp() + v_c.lease)
          from picked p
         where d.consumer = p_consumer and d.event_id = p.event_id
        returning d.event_id, d.occurred_at
    )
    select coalesce(array_agg(u.event_id), '{}'),
           coalesce(array_agg(e order by e.occurred_at, e.id) filter (where e.id is not null), '{}')
      into v_ids, v_events
      from upd u
      left join outbox.events e on e.id = u.event_id and e.occurred_at = u.occurred_at;
    claimed := cardinality(v_ids);
    if claimed = 0 then
        return next;
        return;
    end if;

    -- Events whose rows are gone (partition dropped by hand) cannot be processed.
    select coalesce(array_agg(i), '{}'), coalesce(array_agg('P0002: event row not found in outbox.events'::text), '{}')
      into v_bad_ids, v_bad_errs
      from unnest(v_ids) i
     where i not in (select (x).id from unnest(v_events) x);

    -- Serialize per aggregate and consumer (sorted, so no deadlocks) so that two batches never rebuild
    -- the same aggregate concurrently from different snapshots.
    perform pg_advisory_xact_lock(k)
    from (select distinct hashtextextended(p_consumer || '/' || x.aggregate_type || '/' || x.aggregate_id, 0) as k
          from unnest(v_events) x order by 1) locks;

    if cardinality(v_events) > 0 then
        begin
            execute format('select %s($1)', v_call) using v_events;
            select array_agg(x.id) into v_ok from unnest(v_events) x;
        exception when others then
            get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
            if cardinality(v_events) = 1 then
                v_bad_ids := v_bad_ids || v_events[1].id;
                v_bad_errs := v_bad_errs || outbox._error_text(v_state, v_msg);
            else
                -- The batch failed: retry one event at a time so only the poison events fail.
                foreach v_event in array v_events loop
                    begin
                        execute format('select %s($1)', v_call) using array[v_event];
                        v_ok := v_ok || v_event.id;
                    exception when others then
                        get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
                        v_bad_ids := v_bad_ids || v_event.id;
                        v_bad_errs := v_bad_errs || outbox._error_text(v_state, v_msg);
                    end;
                end loop;
            end if;
        end;
    end if;

    delete from outbox.deliveries d where d.consumer = p_consumer and d.event_id = any (v_ok);
    get diagnostics succeeded = row_count;

    with f as (
        update outbox.deliveries d
           set state = case when d.attempts >= v_c.max_attempts then 'dead' else 'pending' end,
               available_at = now() + least(v_c.backoff_max, v_c.backoff_base * power(2, least(d.attempts - 1, 30))),
               locked_by = null, locked_until = null,
               last_error = b.err, last_error_at = now()
          from unnest(v_bad_ids, v_bad_errs) as b(id, err)
         where d.consumer = p_consumer and d.event_id = b.id
        returning d.state
    )
    select count(*), count(*) filter (where f.state = 'dead') into failed, dead from f;
    return next;
end
$$;
comment on function outbox.process_batch(text, integer, text) is
    'Process one batch of a consumer''s queue: claim up to p_limit (default batch_size) deliveries (FOR UPDATE SKIP LOCKED, '
    'plus the leases p_worker took with outbox.claim), call the handler once for the whole batch in a subtransaction; '
    'if it fails, call it again one event at a time (each in its own subtransaction) so only the poison events fail. '
    'Successes are deleted; failures get SQLSTATE + message in last_error and a backoff, and go dead after max_attempts. '
    'Returns (claimed, succeeded, failed, dead). Callable from psql: select * from outbox.process_batch(''index'');';

create function outbox.drain(p_consumer text, p_max_batches integer default 1000)
    returns table (batches integer, claimed bigint, succeeded bigint, failed bigint, dead bigint)
    language plpgsql volatile
as $$
declare
    v_r record;
begin
    if p_max_batches is null or p_max_batches < 1 then
        raise exception 'p_max_batches: must be at least 1 (got %)', p_max_batches using errcode = 'invalid_parameter_value';
    end if;
    batches := 0; claimed := 0; succeeded := 0; failed := 0; dead := 0;
    loop
        select * into v_r from outbox.process_batch(p_consumer);
        exit when v_r.claimed = 0;
        batches := batches + 1;
        claimed := claimed + v_r.claimed;
        succeeded := succeeded + v_r.succeeded;
        failed := failed + v_r.failed;
        dead := dead + v_r.dead;
        exit when batches >= p_max_batches;
    end loop;
    return next;
end
$$;
comment on function outbox.drain(text, integer) is
    'Loop outbox.process_batch until the consumer''s queue has nothing available (failed events wait for their backoff) '
    'or p_max_batches were processed; one transaction. psql, no Python needed: select * from outbox.drain(''index'');';

-- ---------------------------------------------------------------- periodic jobs (run by workers)
create table outbox.periodic_jobs (
    name            text primary key,
    last_started_at timestamptz,
    last_finished_at timestamptz,
    last_started_by text,
    last_error      text
);
comment on table outbox.periodic_jobs is
    'Bookkeeping of the worker''s periodic jobs (partition upkeep, the scheduled full reindex, ...): a worker claims a due '
    'run with an update on this row, so with several worker processes each run happens once.';

create function outbox.claim_periodic_job(p_name text, p_due_after timestamptz, p_worker text) returns boolean
    language plpgsql volatile
as $$
begin
    insert into outbox.periodic_jobs as j (name, last_started_at, last_started_by)
    values (p_name, now(), p_worker)
    on conflict (name) do update
       set last_started_at = now(), last_started_by = p_worker
     where j.last_started_at is null or j.last_started_at < p_due_after;
    return found;
end
$$;
comment on function outbox.claim_periodic_job(text, timestamptz, text) is
    'True when this worker should run job p_name now: no run of it started after p_due_after (the start of the '
    'current period). Marks the run as started.';

create function outbox.finish_periodic_job(p_name text, p_error text default null) returns void
    language sql volatile
as $$
    update outbox.periodic_jobs set last_finished_at = now(), last_error = p_error where name = p_name
$$;
comment on function outbox.finish_periodic_job(text, text) is 'Record the end of a periodic job run (and its error, if any).';

create function outbox.maintain() returns table (partition text, action text, detail text)
    language sql volatile
as $$
    select c, 'created', 'daily partition' from outbox.create_partitions() c
    union all
    select * from outbox.purge_partitions()
$$;
comment on function outbox.maintain() is
    'Partition upkeep in one call (the worker runs it hourly): create partitions ahead, drop expired ones. '
    'psql: select * from outbox.maintain();';
