-- ops/maintain.sql: one call that runs every module's upkeep; the worker's periodic job.

create or replace function ops.maintain(p_order_quarters_ahead integer default 4)
    returns table (module text, action text, detail text)
    language plpgsql volatile
as $$
declare
    v_n bigint;
begin
    -- One run at a time (the worker's job and an operator in psql): partition DDL must not race.
    perform pg_advisory_xact_lock(hashtextextended('ops.maintain', 0));

    -- commerce: quarterly order partitions ahead, so no order lands in orders_default
    return query
        select 'commerce', case when p.moved_rows > 0 then 'partition created, rows moved' else 'partition created' end,
               format('%s [%s, %s) %s rows moved from orders_default', p.partition_name, p.range_from, p.range_to, p.moved_rows)
        from commerce.create_order_partitions(p_order_quarters_ahead) p
        where p.created;

    -- outbox: daily event partitions ahead, expired ones detached and dropped
    return query select 'outbox', m.action, m.partition || coalesce(': ' || m.detail, '') from outbox.maintain() m;

    -- content: scheduled pages and posts whose moment has come
    select count(*) into v_n from content.publish_due();
    if v_n > 0 then
        return query select 'content', 'published', format('%s scheduled nodes', v_n);
    end if;

    -- core: sessions that expired a while ago
    v_n := core.purge_sessions();
    if v_n > 0 then
        return query select 'core', 'purged', format('%s expired sessions', v_n);
    end if;

    -- core: login throttling counts that expired a while ago
    v_n := core.purge_login_attempts();
    if v_n > 0 then
        return query select 'core', 'purged', format('%s expired login throttling rows', v_n);
    end if;

    -- core: password reset and invitation links that expired a while ago
    v_n := core.purge_account_tokens();
    if v_n > 0 then
        return query select 'core', 'purged', format('%s expired account tokens', v_n);
    end if;
end
$$;
comment on function ops.maintain(integer) is
    'Every module''s upkeep in one call, one run at a time: commerce order partitions for this quarter and '
    'p_order_quarters_ahead more (default 4), outbox partitions ahead and expired ones dropped, scheduled content '
    'published when due, sessions purged a week after they expired, login throttling rows a day after they expired, reset and invitation links a week after they expired. '
    'Returns one row per thing done (nothing when all was in order). The worker runs it every 30 s; '
    'psql: select * from ops.maintain();';
revoke all on function ops.maintain(integer) from public;
