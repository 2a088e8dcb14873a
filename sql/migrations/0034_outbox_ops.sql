-- depends: 0033_outbox_core_events
-- Operator views and functions for the outbox: backlog, dead letters, retry, discard, replay,
-- and the event history read by live listeners.

create view outbox.backlog as
select c.name                                                              as consumer,
       c.enabled,
       d.event_type,
       count(d.event_id) filter (where d.state = 'pending')                as pending,
       count(d.event_id) filter (where d.state = 'pending' and d.locked_until >= now()) as in_flight,
       count(d.event_id) filter (where d.state = 'pending' and d.attempts > 0
                                   and (d.locked_until is null or d.locked_until < now())) as retrying,
       count(d.event_id) filter (where d.state = 'dead')                   as dead,
       now() - min(d.occurred_at) filter (where d.state = 'pending')       as oldest_pending_age,
       min(d.occurred_at) filter (where d.state = 'pending')               as oldest_pending_at,
       (array_agg(d.last_error order by d.last_error_at desc nulls last)
            filter (where d.last_error is not null))[1]                    as last_error
from outbox.consumers c
left join outbox.deliveries d on d.consumer = c.name
group by c.name, c.enabled, d.event_type;
comment on view outbox.backlog is
    'Per consumer and event type: pending (queued), in_flight (leased now), retrying (failed before, waiting), dead '
    '(dead-letter), the oldest pending event''s age and the latest error. A consumer with an empty queue shows one '
    'row with event_type null and zero counts. psql: table outbox.backlog;';

create function ops.outbox_backlog(p_consumer text default null)
    returns setof outbox.backlog
    language sql stable
as $$
    select b.* from outbox.backlog b
    where p_consumer is null or b.consumer = p_consumer
    order by b.consumer, b.event_type nulls first
$$;
comment on function ops.outbox_backlog(text) is
    'The outbox backlog (outbox.backlog) of one consumer, or of all. psql: select * from ops.outbox_backlog();';

create view outbox.dead_letters as
select d.consumer, d.event_id, d.event_type, e.tenant_id, e.aggregate_type, e.aggregate_id, d.occurred_at,
       d.attempts, d.last_error, d.last_error_at, e.payload
from outbox.deliveries d
left join outbox.events e on e.id = d.event_id and e.occurred_at = d.occurred_at
where d.state = 'dead';
comment on view outbox.dead_letters is
    'Dead deliveries with their event and last error (SQLSTATE: message). Retry with ops.retry_dead, drop with ops.discard_dead.';

create function ops._check_consumer(p_consumer text) returns void
    language plpgsql stable
as $$
begin
    if not exists (select 1 from outbox.consumers c where c.name = p_consumer) then
        raise exception 'p_consumer: no consumer named %', coalesce(p_consumer, 'null')
            using errcode = 'no_data_found';
    end if;
end
$$;
comment on function ops._check_consumer(text) is 'Raise P0002 naming p_consumer when no such consumer is registered.';

create function ops.retry_dead(p_consumer text, p_event_type text default null, p_event_ids uuid[] default null)
    returns integer
    language plpgsql volatile
as $$
declare
    v_rows integer;
begin
    perform ops._check_consumer(p_consumer);
    update outbox.deliveries d
       set state = 'pending', attempts = 0, available_at = now(), locked_by = null, locked_until = null
     where d.consumer = p_consumer and d.state = 'dead'
       and (p_event_type is null or d.event_type = p_event_type)
       and (p_event_ids is null or d.event_id = any (p_event_ids));
    get diagnostics v_rows = row_count;
    if v_rows > 0 then
        perform outbox._ring();
    end if;
    return v_rows;
end
$$;
comment on function ops.retry_dead(text, text, uuid[]) is
    'Put dead deliveries of a consumer back in its queue (attempts reset; last_error kept until the next outcome): '
    'all, or only of p_event_type, or only p_event_ids. Returns how many. psql: select ops.retry_dead(''index'');';

create function ops.discard_dead(p_consumer text, p_event_type text default null, p_event_ids uuid[] default null)
    returns integer
    language plpgsql volatile
as $$
declare
    v_rows integer;
begin
    perform ops._check_consumer(p_consumer);
    delete from outbox.deliveries d
     where d.consumer = p_consumer and d.state = 'dead'
       and (p_event_type is null or d.event_type = p_event_type)
       and (p_event_ids is null or d.event_id = any (p_event_ids));
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function ops.discard_dead(text, text, uuid[]) is
    'Delete dead deliveries (all, by type or by id) once they are understood, so their partitions can be purged.';

create function ops.replay_events(p_consumer text, p_from timestamptz, p_to timestamptz default now(),
                                  p_event_types text[] default null)
    returns integer
    language plpgsql volatile
as $$
declare
    v_c    outbox.consumers;
    v_rows integer;
begin
    perform ops._check_consumer(p_consumer);
    if p_from is null or p_to is null or p_from >= p_to then
        raise exception 'p_from: must be before p_to (got % .. %)', p_from, p_to using errcode = 'invalid_parameter_value';
    end if;
    select * into v_c from outbox.consumers c where c.name = p_consumer;
    insert into outbox.deliveries (consumer, event_id, occurred_at, event_type)
    select v_c.name, e.id, e.occurred_at, e.event_type
    from outbox.events e
    where e.occurred_at >= p_from and e.occurred_at < p_to
      and (v_c.event_types is null or e.event_type = any (v_c.event_types))
      and (v_c.aggregate_types is null or e.aggregate_type = any (v_c.aggregate_types))
      and (p_event_types is null or e.event_type = any (p_event_types))
    on conflict (consumer, event_id) do nothing;
    get diagnostics v_rows = row_count;
    if v_rows > 0 then
        perform outbox._ring();
    end if;
    return v_rows;
end
$$;
comment on function ops.replay_events(text, timestamptz, timestamptz, text[]) is
    'Queue again, for one consumer, the events that occurred in [p_from, p_to) and match its filters (and p_event_types); '
    'events already queued are left alone. Returns how many were queued. '
    'psql: select ops.replay_events(''index'', now() - interval ''2 hours'');';

create function outbox.events_since(p_since timestamptz, p_limit integer default 1000,
                                    p_tenant_id uuid default core.current_tenant_id())
    returns setof outbox.events
    language sql stable
as $$
    select e.* from outbox.events e
    where e.tenant_id = p_tenant_id and e.occurred_at >= p_since
    order by e.occurred_at, e.id
    limit least(greatest(p_limit, 1), 10000)
$$;
comment on function outbox.events_since(timestamptz, integer, uuid) is
    'Event history of a tenant from p_since, oldest first: what live listeners (GraphQL subscriptions) read after a '
    'doorbell instead of a durable queue. occurred_at is the writing transaction''s start and commits arrive out of '
    'order, so re-read with an overlap (e.g. from the last seen occurred_at minus a few seconds) and skip ids already seen.';
grant execute on function outbox.events_since(timestamptz, integer, uuid) to rustok_app;
