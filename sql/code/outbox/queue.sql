-- outbox/queue.sql: claiming, processing and draining a consumer queue.

create or replace function outbox._session_worker() returns text
    language sql stable
as $$ select 'session:' || pg_backend_pid() || ':' || to_char(pg_postmaster_start_time(), 'YYYYMMDDHH24MISS') $$;
comment on function outbox._session_worker() is 'Worker name used when none is given (a psql session): session:<pid>:<server start>.';

create or replace function outbox._lease(p_consumer text, p_worker text, p_limit integer, p_lease interval,
                                         p_after_at timestamptz default null, p_after_id uuid default null,
                                         p_record boolean default true)
    returns table (tenant_id uuid, event_id uuid, occurred_at timestamptz, available_at timestamptz)
    language plpgsql volatile
    -- The queue is small and churns (every delivery inserted, leased, deleted): its statistics are nearly always
    -- stale, often "empty" (vacuumed while drained), so a plan made then (plpgsql caches it for the session)
    -- read the queue by a sequential scan over every dead row since the last vacuum: 1-4 ms per claim at
    -- 1,000 events/s. The index is always right here.
    set enable_seqscan = off
as $$
declare
    v_own integer;
begin
    -- The one claim query, in two steps that each use an index (no scan or sort of the whole queue). Each step
    -- locks the rows it picks in a CTE, then updates exactly those through the primary key (tenant_id, consumer,
    -- event_id): `= any` over the picked tenants and ids is one index scan whatever the planner guesses about the
    -- size of the pick (a join to the CTE became a hash join over a scan of the whole queue under a generic plan).
    -- An event id belongs to one tenant, so the pairs matched are the pairs picked.
    -- 1. The worker's own live leases (taken by outbox.claim): a worker always processes what it leased.
    return query
    with own as materialized (
        select d.tenant_id, d.event_id
        from outbox.deliveries d
        where d.consumer = p_consumer and d.locked_by = p_worker and d.state = 'pending' and d.locked_until >= now()
        order by d.available_at
        limit p_limit
        for update skip locked
    )
    update outbox.deliveries d
       set locked_pid = pg_catalog.pg_backend_pid(),
           locked_until = greatest(d.locked_until, clock_timestamp() + p_lease)
     where d.tenant_id = any (array(select o.tenant_id from own o)) and d.consumer = p_consumer
       and d.event_id = any (array(select o.event_id from own o))
    returning d.tenant_id, d.event_id, d.occurred_at, d.available_at;
    get diagnostics v_own = row_count;
    if v_own >= p_limit then
        return;
    end if;
    -- 2. Deliveries that are available and free, whose lease expired, or whose leasing backend is gone (a killed
    --    worker: its connection ended, so its batch was rolled back), oldest first. Row locks (skip locked) keep
    --    two claimers apart. p_after: resume after this (available_at, event_id) (outbox.drain: the index entries
    --    of the rows it deleted earlier in its transaction cannot be skipped by the index until it commits).
    --    A lease whose backend is gone is taken over while locked_until is still ahead: the update below tells
    --    that case (locked_until >= now()) from an expired lease by the row it locked, which nobody else changes.
    --    The live backends are read only when a leased, unexpired row is met (an uncorrelated subquery is an
    --    InitPlan, run at its first use; the OR stops at its first true arm): reading every backend's activity
    --    cost 0.1-1 ms per claim, most of a one-event claim, for rows that are nearly always free.
    --    p_record false (a batch processed in the claiming transaction: outbox.process_batch, outbox.drain): a free
    --    row is only locked, not updated: a lease nobody else can see before the rows are deleted or settled in the
    --    same transaction was a non-HOT update per event (a new version and its index entries in the queue);
    --    its attempt is counted by outbox._settle if it fails (locked_by null = not counted yet). A row taken over
    --    from another worker's lease is recorded either way.
    return query
    with picked as materialized (
        select d.tenant_id, d.event_id, d.occurred_at, d.available_at,
               (d.locked_by is not null or d.locked_until is not null) as leased
        from outbox.deliveries d
        where d.consumer = p_consumer and d.state = 'pending' and d.available_at <= now()
          and (p_after_at is null or (d.available_at, d.event_id) > (p_after_at, p_after_id))
          and (d.locked_until is null or d.locked_until < now()
               or d.locked_pid <> all (array(select a.pid from pg_catalog.pg_stat_get_activity(null) a)))
        order by d.available_at, d.event_id
        limit p_limit - v_own
        for update skip locked
    ), taken as (
        update outbox.deliveries d
           set attempts = d.attempts + 1,
               locked_by = p_worker,
               locked_pid = pg_catalog.pg_backend_pid(),
               locked_until = clock_timestamp() + p_lease,
               last_error = case when d.locked_until < now()
                                 then format('lease of %s expired (worker crashed or too slow)', d.locked_by)
                                 when d.locked_until >= now()
                                 then format('lease of %s taken over: its connection (pid %s) is gone', d.locked_by, d.locked_pid)
                                 else d.last_error end,
               last_error_at = case when d.locked_until is not null then now() else d.last_error_at end
         where d.tenant_id = any (array(select p.tenant_id from picked p where p_record or p.leased))
           and d.consumer = p_consumer
           and d.event_id = any (array(select p.event_id from picked p where p_record or p.leased))
        returning 1
    )
    select p.tenant_id, p.event_id, p.occurred_at, p.available_at from picked p;
end
$$;
comment on function outbox._lease(text, text, integer, interval, timestamptz, uuid, boolean) is
    'Internal, the one claim query of outbox.claim and outbox.process_batch: lease up to p_limit deliveries of a '
    'consumer to p_worker for p_lease (its own live leases first, then available ones, counting an attempt for '
    'those; a lease whose backend is gone counts as expired), with their row locks; p_after: only after that '
    '(available_at, event_id); p_record false: free rows are only locked (for a batch processed in this '
    'transaction; outbox._settle counts the attempt of a failure). Returns the leased (tenant_id, event_id, '
    'occurred_at, available_at).';

create or replace function outbox.claim(p_consumer text, p_worker text, p_limit integer default null) returns integer
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
    select count(*) into v_rows from outbox._lease(p_consumer, p_worker, v_limit, v_c.lease);
    return v_rows;
end
$$;
comment on function outbox.claim(text, text, integer) is
    'Lease up to p_limit (default batch_size) deliveries of a consumer to worker p_worker for the consumer''s lease: '
    'the worker''s own live leases first (kept, the attempt not counted again), then available ones (counting the attempt). '
    'Returns how many the worker now holds. Run it in its own committed transaction, then '
    'outbox.process_batch(consumer, limit, worker): if the worker dies in between or during processing, the deliveries '
    'return to the queue when the lease expires.';

create or replace function outbox.release(p_consumer text, p_worker text) returns integer
    language plpgsql volatile
as $$
declare
    v_rows integer;
begin
    update outbox.deliveries d
       set locked_by = null, locked_until = null, locked_pid = null, attempts = greatest(d.attempts - 1, 0)
     where d.consumer = p_consumer and d.locked_by = p_worker and d.state = 'pending';
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function outbox.release(text, text) is
    'Give back the deliveries a worker leased but did not process (graceful shutdown); the attempt is not counted.';

create or replace function outbox.ready_consumers()
    returns table (name text, batch_size integer, available boolean)
    language sql stable
    set enable_seqscan = off   -- the queue's statistics are nearly always stale (see outbox._lease)
as $$
    -- one probe of the claim index per consumer, at its oldest due delivery (a lateral limit 1 in the index's order:
    -- an EXISTS here was planned as a hashed subplan that read the whole claim index, every consumer's entries and
    -- every dead one since the last vacuum, 0.3-0.5 ms per round at 1,000 events/s)
    select c.name, c.batch_size, d.due is not null
    from outbox.consumers c
    left join lateral (
        select true as due from outbox.deliveries d
        where d.consumer = c.name and d.state = 'pending' and d.available_at <= now()
        order by d.available_at
        limit 1
    ) d on true
    where c.enabled
    order by c.name
$$;
comment on function outbox.ready_consumers() is
    'The enabled consumers with their batch_size, and whether each has a delivery due now (pending, available_at '
    'passed): the worker claims only from those. It may say true for deliveries another worker holds (the claim then '
    'finds nothing), never false while one is available.';

create or replace function outbox._error_text(p_sqlstate text, p_message text) returns text
    language sql immutable
as $$ select p_sqlstate || ': ' || left(p_message, 2000) $$;
comment on function outbox._error_text(text, text) is 'Error text stored in outbox.deliveries.last_error: "SQLSTATE: message".';

create or replace function outbox._settle(p_c outbox.consumers, p_tenants uuid[], p_ok uuid[], p_bad_ids uuid[],
                                          p_bad_errs text[], out succeeded integer, out failed integer, out dead integer)
    language plpgsql volatile
    -- by the primary key, never a sequential scan of the churning queue (see outbox._lease)
    set enable_seqscan = off
as $$
begin
    delete from outbox.deliveries d
     where d.tenant_id = any (p_tenants) and d.consumer = p_c.name and d.event_id = any (p_ok);
    get diagnostics succeeded = row_count;
    failed := 0; dead := 0;
    if cardinality(p_bad_ids) > 0 then
        with f as (
            update outbox.deliveries d
               -- locked_by null: picked without a recorded lease (outbox._lease p_record false), so its attempt
               -- is counted here
               set state = case when d.attempts + (d.locked_by is null)::integer >= p_c.max_attempts
                                then 'dead' else 'pending' end,
                   attempts = d.attempts + (d.locked_by is null)::integer,
                   available_at = now() + least(p_c.backoff_max, p_c.backoff_base
                                                * power(2, least(d.attempts + (d.locked_by is null)::integer - 1, 30))),
                   locked_by = null, locked_until = null, locked_pid = null,
                   last_error = b.err, last_error_at = now()
              from unnest(p_bad_ids, p_bad_errs) as b(id, err)
             where d.tenant_id = any (p_tenants) and d.consumer = p_c.name and d.event_id = b.id
            returning d.state
        )
        select count(*), count(*) filter (where f.state = 'dead') into failed, dead from f;
    end if;
end
$$;
comment on function outbox._settle(outbox.consumers, uuid[], uuid[], uuid[], text[]) is
    'Internal, the end of a batch (outbox.process_batch): delete the processed deliveries (p_ok) of consumer p_c in '
    'tenants p_tenants; the failed ones (p_bad_ids with p_bad_errs) get their error and a backoff, or go dead after '
    'max_attempts. Returns (succeeded, failed, dead).';

create or replace function outbox._process_batch(p_consumer text, p_limit integer, p_worker text, p_wait boolean,
                                                 p_after_at timestamptz default null, p_after_id uuid default null)
    returns table (claimed integer, succeeded integer, failed integer, dead integer, last_at timestamptz, last_id uuid)
    language plpgsql volatile
    -- keyed statements on arrays: custom plans were made on every batch (the events load alone 1.7 ms), which is
    -- most of a one-event batch; a handler may choose otherwise for its own statements (index._rebuild does)
    set plan_cache_mode = force_generic_plan
as $$
declare
    v_c        outbox.consumers := outbox._consumer(p_consumer);
    v_worker   text := coalesce(nullif(btrim(p_worker), ''), outbox._session_worker());
    v_limit    integer := coalesce(p_limit, v_c.batch_size);
    v_call     text;
    v_tenants  uuid[];
    v_ids      uuid[];
    v_occurred timestamptz[];
    v_events   outbox.events[];
    v_event    outbox.events;
    v_ok       uuid[] := '{}';
    v_bad_ids  uuid[] := '{}';
    v_bad_errs text[] := '{}';
    v_state    text;
    v_msg      text;
    v_keys     bigint[];
    v_locked   bigint[];
    v_key      bigint;
    v_busy     uuid[] := '{}';
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
    select coalesce(array_agg(u.tenant_id), '{}'), coalesce(array_agg(u.event_id), '{}'),
           coalesce(array_agg(u.occurred_at), '{}'),
           (array_agg(u.available_at order by u.available_at desc, u.event_id desc))[1],
           (array_agg(u.event_id order by u.available_at desc, u.event_id desc))[1]
      into v_tenants, v_ids, v_occurred, last_at, last_id
      from outbox._lease(p_consumer, v_worker, v_limit, v_c.lease, p_after_at, p_after_id, false) u;
    claimed := cardinality(v_ids);
    if claimed = 0 then
        return next;
        return;
    end if;
    -- A statement of its own: its snapshot is taken after the lease, so it sees every event whose delivery the
    -- lease found (the lease's function ran on a newer snapshot than the statement that called it).
    select coalesce(array_agg(e order by e.occurred_at, e.id), '{}') into v_events
      from unnest(v_tenants, v_ids, v_occurred) as l (tenant_id, id, occurred_at)
      join outbox.events e on e.tenant_id = l.tenant_id and e.occurred_at = l.occurred_at and e.id = l.id;
    -- From here on the batch's deliveries are found by their key (tenant_id, consumer, event_id): the tenants of
    -- the batch, deduplicated, with the event ids (an event id belongs to one tenant).
    v_tenants := array(select distinct t from unnest(v_tenants) t);

    -- Events whose rows are gone (partition dropped by hand) cannot be processed.
    select coalesce(array_agg(i), '{}'), coalesce(array_agg('P0002: event row not found in outbox.events'::text), '{}')
      into v_bad_ids, v_bad_errs
      from unnest(v_ids) i
     where i not in (select (x).id from unnest(v_events) x);

    -- Serialize per aggregate and consumer so that two batches never rebuild the same aggregate concurrently from
    -- different snapshots: a batch holds the aggregate's lock from before it reads until its upserts have taken the
    -- read rows' row locks (those keep later writers waiting until commit). Session-level locks, released at the end
    -- of the batch, so a long transaction (outbox.drain) holds one batch's worth at a time, not one per aggregate
    -- it ever touched. p_wait: wait for them, in key order (no deadlocks between batches; a short transaction
    -- holds no row locks of earlier batches). Without p_wait (a drain, whose earlier batches hold row locks a
    -- waiting worker may need): try them, and hand the events of busy aggregates back for later.
    v_keys := array(select distinct hashtextextended(p_consumer || '/' || x.aggregate_type || '/' || x.aggregate_id, 0)
                    from unnest(v_events) x order by 1);
    -- One key at a time, each recorded as soon as it is held: whatever interrupts us (an error, a cancel while
    -- waiting) the handler below releases exactly what this batch holds, so no session lock outlives the batch.
    v_locked := '{}';
    begin
        foreach v_key in array v_keys loop
            if p_wait then
                perform pg_advisory_lock(v_key);
                v_locked := v_locked || v_key;
            elsif pg_try_advisory_lock(v_key) then
                v_locked := v_locked || v_key;
            end if;
        end loop;
        if cardinality(v_locked) < cardinality(v_keys) then
            v_busy := array(select x.id from unnest(v_events) x
                            where hashtextextended(p_consumer || '/' || x.aggregate_type || '/' || x.aggregate_id, 0)
                                  <> all (v_locked));
            v_events := array(select x from unnest(v_events) x where x.id <> all (v_busy));
            update outbox.deliveries d
               -- the attempt was counted only with a recorded lease (locked_by set)
               set locked_by = null, locked_until = null, locked_pid = null,
                   attempts = greatest(d.attempts - (d.locked_by is not null)::integer, 0),
                   available_at = greatest(d.available_at, now() + interval '1 second')
             where d.tenant_id = any (v_tenants) and d.consumer = p_consumer and d.event_id = any (v_busy);
        end if;

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
        perform pg_advisory_unlock(k) from unnest(v_locked) k;
    exception when others or query_canceled then  -- others does not include a cancel (statement timeout, shutdown)
        perform pg_advisory_unlock(k) from unnest(v_locked) k;  -- never leave a session lock behind
        raise;
    end;

    select a.succeeded, a.failed, a.dead into succeeded, failed, dead
      from outbox._settle(v_c, v_tenants, v_ok, v_bad_ids, v_bad_errs) a;
    return next;
end
$$;
comment on function outbox._process_batch(text, integer, text, boolean, timestamptz, uuid) is
    'Internal: one batch of a consumer''s queue (see outbox.process_batch); p_wait false: do not wait for aggregates '
    'another batch is rebuilding, hand their events back for a second later (used by outbox.drain); p_after: claim '
    'after that queue position; returns the last position it claimed (last_at, last_id).';

create or replace function outbox.process_batch(p_consumer text, p_limit integer default null, p_worker text default null)
    returns table (claimed integer, succeeded integer, failed integer, dead integer)
    language sql volatile
as $$ select b.claimed, b.succeeded, b.failed, b.dead from outbox._process_batch(p_consumer, p_limit, p_worker, true) b $$;
comment on function outbox.process_batch(text, integer, text) is
    'Process one batch of a consumer''s queue: claim up to p_limit (default batch_size) deliveries (FOR UPDATE SKIP LOCKED, '
    'plus the leases p_worker took with outbox.claim), call the handler once for the whole batch in a subtransaction; '
    'if it fails, call it again one event at a time (each in its own subtransaction) so only the poison events fail. '
    'Successes are deleted; failures get SQLSTATE + message in last_error and a backoff, and go dead after max_attempts. '
    'Returns (claimed, succeeded, failed, dead). Callable from psql: select * from outbox.process_batch(''index'');';

create or replace procedure outbox.run_batch(p_consumer text, p_limit integer, p_worker text,
                                             inout claimed integer default null, inout succeeded integer default null,
                                             inout failed integer default null, inout dead integer default null)
    language plpgsql
as $$
declare
    v_leased integer;
begin
    -- The worker's batch in one round trip, with the same two transactions as outbox.claim then
    -- outbox.process_batch: the lease is committed first (a killed worker's deliveries come back when the lease
    -- expires or its backend is gone, with the attempt counted), then the batch is processed and committed.
    -- Only from a CALL outside a transaction block (autocommit): it commits in between.
    v_leased := outbox.claim(p_consumer, p_worker, p_limit);
    commit;
    claimed := 0; succeeded := 0; failed := 0; dead := 0;
    if v_leased > 0 then
        -- exactly the leases just taken (the claim's second step, for free deliveries, is not run again)
        select b.claimed, b.succeeded, b.failed, b.dead into claimed, succeeded, failed, dead
          from outbox._process_batch(p_consumer, v_leased, p_worker, true) b;
        commit;
    end if;
end
$$;
comment on procedure outbox.run_batch(text, integer, text, integer, integer, integer, integer) is
    'One batch of a consumer for worker p_worker in one call, what the worker runs: outbox.claim(consumer, worker, '
    'limit), commit, then outbox.process_batch(consumer, <leased>, worker), commit. Returns (claimed, succeeded, '
    'failed, dead). Must be CALLed outside a transaction block (it commits); if it is cancelled or the worker dies '
    'after the first commit, the leases stay until outbox.release, their expiry or the end of the backend. '
    'psql: call outbox.run_batch(''index'', 100, ''me'');';

create or replace function outbox.drain(p_consumer text, p_max_batches integer default null)
    returns table (batches integer, claimed bigint, succeeded bigint, failed bigint, dead bigint)
    language plpgsql volatile
as $$
declare
    v_r       record;
    v_last_at timestamptz;
    v_last_id uuid;
    v_wrapped boolean := false;
    v_base    integer := (outbox._consumer(p_consumer)).batch_size;
    v_limit   integer := v_base;
begin
    if p_max_batches < 1 then
        raise exception 'p_max_batches: must be at least 1 (got %)', p_max_batches using errcode = 'invalid_parameter_value';
    end if;
    batches := 0; claimed := 0; succeeded := 0; failed := 0; dead := 0;
    loop
        -- resume after the last delivery taken; when that finds nothing, look once more from the start (a delivery
        -- committed meanwhile with an earlier available_at, or a failed one whose backoff is over)
        select * into v_r from outbox._process_batch(p_consumer, v_limit, null, false, v_last_at, v_last_id);
        -- a full batch means a backlog: take twice as much next time (up to 2,000 events; the per-batch costs
        -- of claiming, planning and locking are spread over more events), else back to the consumer's size
        v_limit := case when v_r.claimed >= v_limit then least(greatest(v_limit * 2, v_base), greatest(2000, v_base))
                        else v_base end;
        if v_r.claimed = 0 then
            exit when v_last_at is null or v_wrapped;
            v_last_at := null; v_last_id := null; v_wrapped := true;
            continue;
        end if;
        v_wrapped := false;
        v_last_at := v_r.last_at; v_last_id := v_r.last_id;
        batches := batches + 1;
        claimed := claimed + v_r.claimed;
        succeeded := succeeded + v_r.succeeded;
        failed := failed + v_r.failed;
        dead := dead + v_r.dead;
        exit when batches >= coalesce(p_max_batches, batches + 1);
    end loop;
    return next;
end
$$;
comment on function outbox.drain(text, integer) is
    'Loop over batches (the consumer''s batch_size, doubling after each full batch up to 2,000) until the consumer''s queue has nothing available (failed events wait for their backoff; events '
    'of aggregates a worker is rebuilding at that moment are left to it) or p_max_batches (default: no limit) were '
    'processed; one transaction, with one batch''s locks at a time, so any backlog fits. psql, no Python needed: '
    'select * from outbox.drain(''index'');';
