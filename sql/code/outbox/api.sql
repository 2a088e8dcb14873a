-- outbox/api.sql: the admin's operations screen (GraphQL opsStatus, deadLetters, retryDeadLetters, opsHealth):
-- the outbox as one tenant sees it. Security definer (the app has no privilege on outbox.deliveries), every one
-- checks ops:manage first and filters to core.current_tenant_id()'s events. Operators use ops.* from psql.

create or replace function outbox.tenant_backlog()
    returns table (consumer text, enabled boolean, pending bigint, dead bigint, oldest_pending_at timestamptz,
                   lag_seconds double precision, last_error text)
    language plpgsql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('ops:manage');
    return query
    select c.name, c.enabled,
           count(d.event_id) filter (where d.state = 'pending'),
           count(d.event_id) filter (where d.state = 'dead'),
           min(d.occurred_at) filter (where d.state = 'pending'),
           coalesce(extract(epoch from now() - min(d.occurred_at) filter (where d.state = 'pending'))::float8, 0),
           (array_agg(left(d.last_error, 500) order by d.last_error_at desc nulls last)
                filter (where d.last_error is not null))[1]
    from outbox.consumers c
    left join outbox.deliveries d on d.tenant_id = core.current_tenant_id() and d.consumer = c.name
    group by c.name, c.enabled
    order by c.name;
end
$$;
comment on function outbox.tenant_backlog() is
    'Per consumer, the current tenant''s events only: pending and dead deliveries, the oldest pending event and its '
    'age in seconds (lag), the latest error (500 characters). Permission ops:manage. (GraphQL opsStatus.)';
revoke all on function outbox.tenant_backlog() from public;
grant execute on function outbox.tenant_backlog() to rustok_app;

create or replace function outbox.page_dead_letters(p_after jsonb, p_before jsonb, p_limit integer,
                                                    p_from_end boolean default false)
    returns table (consumer text, event_id uuid, event_type text, aggregate_type text, aggregate_id uuid,
                   attempts integer, last_error text, last_error_at timestamptz, occurred_at timestamptz, cursor jsonb)
    language plpgsql stable security definer
    set search_path = pg_catalog, pg_temp
    set plan_cache_mode = force_custom_plan   -- the null arguments fold away, so deliveries_dead_letters_idx serves the page
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('ops:manage');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'failed', array['timestamptz', 'uuid', 'text'], 'after');
    v_before := core._page_key(p_before, 'failed', array['timestamptz', 'uuid', 'text'], 'before');
    -- newest failure first: (last failure, event, consumer) descending; a dead delivery without a failure time
    -- (set dead by hand) sorts last as -infinity
    if not coalesce(p_from_end, false) then
        return query
        select d.consumer, d.event_id, d.event_type, e.aggregate_type::text, e.aggregate_id, d.attempts,
               left(d.last_error, 2000), d.last_error_at, d.occurred_at,
               jsonb_build_object('s', 'failed', 'k', jsonb_build_array(
                   coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer))
        from (select * from outbox.deliveries d
              where d.tenant_id = v_tenant and d.state = 'dead'
                and (v_after is null or (coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer)
                                        < (v_after[1]::timestamptz, v_after[2]::uuid, v_after[3]))
                and (v_before is null or (coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer)
                                         > (v_before[1]::timestamptz, v_before[2]::uuid, v_before[3]))
              order by coalesce(d.last_error_at, '-infinity'::timestamptz) desc, d.event_id desc, d.consumer desc
              limit p_limit + 1) d
        join outbox.events e on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at and e.id = d.event_id
        order by coalesce(d.last_error_at, '-infinity'::timestamptz) desc, d.event_id desc, d.consumer desc;
    else
        return query
        select d.consumer, d.event_id, d.event_type, e.aggregate_type::text, e.aggregate_id, d.attempts,
               left(d.last_error, 2000), d.last_error_at, d.occurred_at,
               jsonb_build_object('s', 'failed', 'k', jsonb_build_array(
                   coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer))
        from (select * from outbox.deliveries d
              where d.tenant_id = v_tenant and d.state = 'dead'
                and (v_after is null or (coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer)
                                        < (v_after[1]::timestamptz, v_after[2]::uuid, v_after[3]))
                and (v_before is null or (coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer)
                                         > (v_before[1]::timestamptz, v_before[2]::uuid, v_before[3]))
              order by coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer
              limit p_limit + 1) d
        join outbox.events e on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at and e.id = d.event_id
        order by coalesce(d.last_error_at, '-infinity'::timestamptz), d.event_id, d.consumer;
    end if;
end
$$;
comment on function outbox.page_dead_letters(jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of the current tenant''s dead '
    'deliveries, newest failure first (then event, consumer): consumer, event, attempts, the error. Cursors '
    '{"s": "failed", "k": [last_error_at, event_id, consumer]} after / before; p_from_end pages backwards (rows '
    'nearest the before cursor first). Permission ops:manage. (GraphQL deadLetters.)';
revoke all on function outbox.page_dead_letters(jsonb, jsonb, integer, boolean) from public;
grant execute on function outbox.page_dead_letters(jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function outbox.count_dead_letters(p_cap integer default 10001) returns integer
    language plpgsql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('ops:manage');
    return (select count(*)::int from (
        select 1 from outbox.deliveries d
        where d.tenant_id = core.current_tenant_id() and d.state = 'dead'
        limit p_cap) x);
end
$$;
comment on function outbox.count_dead_letters(integer) is
    'How many dead deliveries the current tenant has, counted up to p_cap. Permission ops:manage. '
    '(GraphQL deadLetters.totalCount.)';
revoke all on function outbox.count_dead_letters(integer) from public;
grant execute on function outbox.count_dead_letters(integer) to rustok_app;

create or replace function outbox.tenant_retry_dead(p_event_ids uuid[] default null)
    returns integer
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
as $$
declare
    v_rows integer;
begin
    perform core.require_permission('ops:manage');
    update outbox.deliveries d
       set state = 'pending', attempts = 0, available_at = now(), locked_by = null, locked_until = null
     where d.tenant_id = core.current_tenant_id() and d.state = 'dead'
       and (p_event_ids is null or d.event_id = any (p_event_ids));
    get diagnostics v_rows = row_count;
    if v_rows > 0 then
        perform outbox._ring();
    end if;
    return v_rows;
end
$$;
comment on function outbox.tenant_retry_dead(uuid[]) is
    'Put the current tenant''s dead deliveries (all, or only p_event_ids) back in their consumers'' queues, attempts '
    'reset. Returns how many. Permission ops:manage. (GraphQL retryDeadLetters.)';
revoke all on function outbox.tenant_retry_dead(uuid[]) from public;
grant execute on function outbox.tenant_retry_dead(uuid[]) to rustok_app;

create or replace function outbox.tenant_health()
    returns table (check_name text, status text, figure text, advice text)
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('ops:manage');
    return query select h.check_name, h.status, h.figure, h.advice from ops.health() h;
end
$$;
comment on function outbox.tenant_health() is
    'The rows of ops.health() (the installation''s health checks) for a tenant administrator: permission ops:manage. '
    '(GraphQL opsHealth.)';
revoke all on function outbox.tenant_health() from public;
grant execute on function outbox.tenant_health() to rustok_app;
