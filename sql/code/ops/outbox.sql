-- ops/outbox.sql: operator functions for the outbox: backlog, dead letters, replay.

create or replace function ops.outbox_backlog(p_consumer text default null)
    returns setof outbox.backlog
    language sql stable
as $$
    select b.* from outbox.backlog b
    where p_consumer is null or b.consumer = p_consumer
    order by b.consumer, b.event_type nulls first
$$;
comment on function ops.outbox_backlog(text) is
    'The outbox backlog (outbox.backlog) of one consumer, or of all. psql: select * from ops.outbox_backlog();';

create or replace function ops._check_consumer(p_consumer text) returns void
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

create or replace function ops.retry_dead(p_consumer text, p_event_type text default null, p_event_ids uuid[] default null)
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

create or replace function ops.discard_dead(p_consumer text, p_event_type text default null, p_event_ids uuid[] default null)
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

create or replace function ops.replay_events(p_consumer text, p_from timestamptz, p_to timestamptz default now(),
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
    insert into outbox.deliveries (tenant_id, consumer, event_id, occurred_at, event_type)
    select e.tenant_id, v_c.name, e.id, e.occurred_at, e.event_type
    from outbox.events e
    where e.occurred_at >= p_from and e.occurred_at < p_to
      and (v_c.event_types is null or e.event_type = any (v_c.event_types))
      and (v_c.aggregate_types is null or e.aggregate_type = any (v_c.aggregate_types))
      and (p_event_types is null or e.event_type = any (p_event_types))
    on conflict (tenant_id, consumer, event_id) do nothing;
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

create or replace function ops.release_stale_leases(p_consumer text default null)
    returns integer
    language plpgsql volatile
as $$
declare
    v_rows integer;
begin
    if p_consumer is not null then
        perform ops._check_consumer(p_consumer);
    end if;
    update outbox.deliveries d
       set locked_by = null, locked_until = null, locked_pid = null
     where d.state = 'pending' and d.locked_by is not null
       and (p_consumer is null or d.consumer = p_consumer)
       and (d.locked_until < now()
            or d.locked_pid <> all (select a.pid from pg_catalog.pg_stat_get_activity(null) a));
    get diagnostics v_rows = row_count;
    if v_rows > 0 then
        perform outbox._ring();
    end if;
    return v_rows;
end
$$;
comment on function ops.release_stale_leases(text) is
    'Free the leases of deliveries (of one consumer, or all) whose lease expired or whose leasing backend is gone (a '
    'killed worker), so they show as plainly pending; the attempt they counted stays counted. A running worker takes '
    'such leases over by itself; this is for when none runs. Returns how many. psql: select ops.release_stale_leases();';
revoke all on function ops.release_stale_leases(text) from public;
