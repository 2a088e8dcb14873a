-- ops/health.sql: ops.health(), one row per check (ok / warn / fail) with a figure and advice in words; its
-- thresholds live in ops.health_settings. `rustok doctor` prints it and adds what only files can tell (pending
-- migrations, a code tree that differs from sql/code).

-- ---------------------------------------------------------------- ops.health_settings

comment on table ops.health_settings is
    'The thresholds of ops.health() (one row; the defaults are documented in docs/operations.md). Change with '
    'update ops.health_settings set backlog_warn_age = ''5 minutes''; a null full_reindex_*_age turns that check off.';
comment on column ops.health_settings.singleton is 'Always true: the table has exactly one row.';
comment on column ops.health_settings.backlog_warn_age is 'Outbox backlog: warn when a consumer''s oldest pending event is older (default 1 minute).';
comment on column ops.health_settings.backlog_fail_age is 'Outbox backlog: fail when a consumer''s oldest pending event is older (default 15 minutes).';
comment on column ops.health_settings.backlog_warn_pending is 'Outbox backlog: warn when a consumer has this many pending deliveries (default 10000).';
comment on column ops.health_settings.dead_letters_warn is 'Dead letters: warn from this many dead deliveries (default 1).';
comment on column ops.health_settings.dead_letters_fail is 'Dead letters: fail from this many dead deliveries (default 1000).';
comment on column ops.health_settings.order_quarters_ahead is 'Order partitions: the current quarter and this many after it must exist (default 2; ops.maintain creates 4).';
comment on column ops.health_settings.expired_partition_grace is 'Outbox partitions past retention + this grace count as not dropped (default 1 hour).';
comment on column ops.health_settings.verify_sample is 'Index drift: products, nodes and orders drawn per tenant for index.verify_sample (default 20 each; 0 = off).';
comment on column ops.health_settings.replica_lag_warn is 'Replica lag: warn above (default 30 seconds).';
comment on column ops.health_settings.replica_lag_fail is 'Replica lag: fail above (default 5 minutes).';
comment on column ops.health_settings.dead_tuples_min is 'Bloat: a table with fewer dead tuples is not judged (default 10000).';
comment on column ops.health_settings.dead_tuples_warn_ratio is 'Bloat: warn when dead / (live + dead) tuples reaches this (default 0.2).';
comment on column ops.health_settings.dead_tuples_fail_ratio is 'Bloat: fail when dead / (live + dead) tuples reaches this (default 0.5).';
comment on column ops.health_settings.long_query_warn is 'Sessions: warn for a statement running longer (default 5 minutes).';
comment on column ops.health_settings.long_query_fail is 'Sessions: fail for a statement running longer (default 30 minutes).';
comment on column ops.health_settings.idle_in_transaction_warn is 'Sessions: warn for a session idle in a transaction longer (default 1 minute).';
comment on column ops.health_settings.idle_in_transaction_fail is 'Sessions: fail for a session idle in a transaction longer (default 10 minutes).';
comment on column ops.health_settings.counter_warn_ratio is 'Counters and sequences: warn at this fraction of their limit (default 0.75).';
comment on column ops.health_settings.counter_fail_ratio is 'Counters and sequences: fail at this fraction of their limit (default 0.9).';
comment on column ops.health_settings.xid_age_warn is 'Transaction ids: warn when the database''s oldest unfrozen xid is this old (default 500 million).';
comment on column ops.health_settings.xid_age_fail is 'Transaction ids: fail when it is this old (default 1.5 billion; wraparound stops writes at about 2.1 billion).';
comment on column ops.health_settings.maintain_warn_age is 'Upkeep: warn when the last ops.maintain() run of a worker finished longer ago (default 5 minutes; it runs every 30 s).';
comment on column ops.health_settings.maintain_fail_age is 'Upkeep: fail when longer ago than this (default 1 hour).';
comment on column ops.health_settings.full_reindex_warn_age is 'Full reindex: warn when the last scheduled full reindex finished longer ago (default 26 hours; null = not checked).';
comment on column ops.health_settings.full_reindex_fail_age is 'Full reindex: fail when longer ago than this (default 3 days; null = not checked).';
revoke all on ops.health_settings from public;

-- ---------------------------------------------------------------- helpers

create or replace function ops._grade(p_value numeric, p_warn numeric, p_fail numeric) returns text
    language sql immutable parallel safe
as $$
    select case when p_value is null then 'ok'
                when p_fail is not null and p_value >= p_fail then 'fail'
                when p_warn is not null and p_value >= p_warn then 'warn'
                else 'ok' end
$$;
comment on function ops._grade(numeric, numeric, numeric) is
    'Internal: ok, warn (p_value >= p_warn) or fail (p_value >= p_fail); a null threshold is never reached.';
revoke all on function ops._grade(numeric, numeric, numeric) from public;

create or replace function ops._worse(p_a text, p_b text) returns text
    language sql immutable parallel safe
as $$
    select case when 'fail' in (p_a, p_b) then 'fail' when 'warn' in (p_a, p_b) then 'warn' else 'ok' end
$$;
comment on function ops._worse(text, text) is 'Internal: the worse of two statuses (fail > warn > ok).';
revoke all on function ops._worse(text, text) from public;

create or replace function ops._age(p_age interval) returns text
    language sql immutable parallel safe
as $$
    select case when p_age is null then 'never'
                when p_age < interval '1 minute' then round(extract(epoch from p_age))::text || ' s'
                when p_age < interval '2 hours' then round(extract(epoch from p_age) / 60)::text || ' min'
                when p_age < interval '2 days' then round(extract(epoch from p_age) / 3600, 1)::text || ' h'
                else round(extract(epoch from p_age) / 86400, 1)::text || ' days' end
$$;
comment on function ops._age(interval) is 'Internal: an interval in words for health figures (42 s, 7 min, 3.5 h, 2.0 days).';
revoke all on function ops._age(interval) from public;

create or replace function ops._job_check(p_check text, p_job text, p_warn interval, p_fail interval, p_advice text)
    returns table (check_name text, status text, figure text, advice text)
    language plpgsql stable
as $$
declare
    v_job       outbox.periodic_jobs;
    v_installed timestamptz;
    v_age       interval;
begin
    check_name := p_check;
    if p_warn is null then
        status := 'ok'; figure := 'not checked (threshold is null in ops.health_settings)'; advice := null;
        return next;
        return;
    end if;
    select * into v_job from outbox.periodic_jobs j where j.name = p_job;
    if to_regclass('public._yoyo_migration') is not null then
        select min(m.applied_at_utc) at time zone 'UTC' into v_installed from public._yoyo_migration m;
    end if;
    if v_job.last_finished_at is null then
        -- Never finished: judged from when counting started (the worker's first sighting of a daily job, or the install).
        v_age := now() - coalesce(v_job.last_started_at, v_installed, now());
        status := ops._grade(extract(epoch from v_age), extract(epoch from p_warn), extract(epoch from p_fail));
        figure := case when v_job.name is null then format('%s never ran (installed %s ago)', p_job, ops._age(now() - v_installed))
                       else format('%s never finished (first seen %s ago)', p_job, ops._age(v_age)) end;
    elsif v_job.last_error is not null then
        status := 'fail';
        figure := format('the last run of %s (%s ago) failed: %s', p_job, ops._age(now() - v_job.last_finished_at),
                         left(v_job.last_error, 200));
    else
        v_age := now() - v_job.last_finished_at;
        status := ops._grade(extract(epoch from v_age), extract(epoch from p_warn), extract(epoch from p_fail));
        figure := format('last run of %s finished %s ago', p_job, ops._age(v_age));
    end if;
    advice := case when status <> 'ok' then p_advice end;
    return next;
end
$$;
comment on function ops._job_check(text, text, interval, interval, text) is
    'Internal: a health row for a periodic job of the worker (outbox.periodic_jobs): how long ago its last run finished, '
    'a failed last run, or a job that never ran although the install (or its first sighting) is older than the threshold.';
revoke all on function ops._job_check(text, text, interval, interval, text) from public;

-- ---------------------------------------------------------------- ops.health()

create or replace function ops.health()
    returns table (check_name text, status text, figure text, advice text)
    language plpgsql volatile
as $$
declare
    s           ops.health_settings;
    v_live      integer[];
    v_tree      ops.code_tree_state;
    v_applied   text[];
    v_missing   text[];
    v_unknown   text[];
    r           record;
    v_n         bigint;
    v_m         bigint;
    v_text      text;
    v_status    text;
    v_age       interval;
    v_names     text[];
    v_ratio     numeric;
    v_tenants   integer := 0;
    v_checked   integer := 0;
    v_drift     text[] := '{}';
    v_ids       uuid[];
    v_pending   uuid[];
begin
    select * into s from ops.health_settings;
    if not found then
        raise exception 'ops.health_settings: the settings row is missing; restore it with: insert into ops.health_settings default values'
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    select coalesce(array_agg(a.pid), '{}') into v_live from pg_catalog.pg_stat_get_activity(null) a;

    -- ------------------------------------------------------------ migrations and code tree
    check_name := 'migrations and code tree';
    select * into v_tree from ops.code_tree_state;
    if to_regclass('public._yoyo_migration') is null then
        status := 'fail'; figure := 'no yoyo migration table (public._yoyo_migration)';
        advice := 'this database was not migrated by rustok: run rustok migrate';
    elsif v_tree.digest is null then
        status := 'fail'; figure := 'the code tree (sql/code) was never applied';
        advice := 'run rustok migrate';
    else
        select coalesce(array_agg(m.migration_id::text order by m.migration_id), '{}') into v_applied from public._yoyo_migration m;
        v_missing := array(select unnest(coalesce(v_tree.migrations, '{}')) except select unnest(v_applied) order by 1);
        v_unknown := array(select unnest(v_applied) except select unnest(coalesce(v_tree.migrations, '{}')) order by 1);
        figure := format('%s migrations applied; code tree %s… (%s files) applied %s ago',
                         cardinality(v_applied), left(v_tree.digest, 12), v_tree.files, ops._age(now() - v_tree.applied_at));
        if v_tree.migrations is null then
            status := 'warn'; figure := figure || '; the code tree did not record its migrations';
            advice := 'run rustok migrate (it records them); rustok doctor also compares with the files';
        elsif cardinality(v_missing) > 0 then
            status := 'fail'; figure := figure || format('; the code tree expects %s not applied: %s', cardinality(v_missing), array_to_string(v_missing, ', '));
            advice := 'the code tree was applied without its migrations: run rustok migrate from the same release';
        elsif cardinality(v_unknown) > 0 then
            status := 'warn'; figure := figure || format('; %s applied migrations unknown to the code tree: %s', cardinality(v_unknown), array_to_string(v_unknown, ', '));
            advice := 'a newer release migrated this database and an older code tree was applied after it: run rustok migrate from the newest release';
        else
            status := 'ok'; advice := null;
        end if;
    end if;
    return next;

    -- ------------------------------------------------------------ outbox backlog, per consumer
    for r in
        select c.name, c.enabled,
               count(d.event_id) filter (where d.state = 'pending') as pending,
               count(d.event_id) filter (where d.state = 'pending' and d.locked_until >= now()) as in_flight,
               now() - min(d.occurred_at) filter (where d.state = 'pending') as oldest
        from outbox.consumers c
        left join outbox.deliveries d on d.consumer = c.name
        group by c.name, c.enabled
        order by c.name
    loop
        check_name := 'outbox backlog: ' || r.name;
        status := ops._worse(ops._grade(extract(epoch from r.oldest), extract(epoch from s.backlog_warn_age), extract(epoch from s.backlog_fail_age)),
                             ops._grade(r.pending, s.backlog_warn_pending, null));
        figure := format('%s pending (%s in flight), oldest %s', r.pending, r.in_flight,
                         case when r.pending = 0 then 'none' else ops._age(r.oldest) || ' old' end);
        if not r.enabled and r.pending > 0 then
            status := ops._worse(status, 'warn');
            figure := figure || '; the consumer is disabled';
        end if;
        advice := case when status <> 'ok' then
            case when not r.enabled then format('enable it: update outbox.consumers set enabled = true where name = %L; ', r.name) else '' end
            || format('is a worker running (rustok worker)? see select * from ops.outbox_backlog(%L); drain from psql: '
                      'psql -v consumer=%s -f sql/ops/drain_consumer.sql', r.name, r.name) end;
        return next;
    end loop;
    if not found then
        check_name := 'outbox backlog'; status := 'ok'; figure := 'no consumers registered'; advice := null;
        return next;
    end if;

    -- ------------------------------------------------------------ dead letters
    check_name := 'outbox dead letters';
    select coalesce(sum(x.n), 0), string_agg(x.consumer || ' ' || x.event_type || ': ' || x.n, ', ' order by x.n desc)
      into v_n, v_text
      from (select d.consumer, d.event_type, count(*) as n from outbox.deliveries d where d.state = 'dead'
            group by 1, 2) x;
    status := ops._grade(v_n, s.dead_letters_warn, s.dead_letters_fail);
    figure := case when v_n = 0 then 'no dead deliveries' else format('%s dead (%s)', v_n, v_text) end;
    advice := case when status <> 'ok' then
        'read the errors: select * from outbox.dead_letters; fix the cause, then retry: '
        'psql -v consumer=<name> -v event_type=<type> -f sql/ops/retry_dead.sql (or give up: select ops.discard_dead(...))' end;
    return next;

    -- ------------------------------------------------------------ leases of workers that are gone
    check_name := 'outbox leases of dead workers';
    select count(*), string_agg(distinct d.locked_by || ' (pid ' || d.locked_pid || ')', ', ')
      into v_n, v_text
      from outbox.deliveries d
     where d.state = 'pending' and d.locked_until >= now() and d.locked_pid is not null and d.locked_pid <> all (v_live);
    status := case when v_n > 0 then 'warn' else 'ok' end;
    figure := case when v_n = 0 then 'no live lease of a gone backend' else format('%s deliveries leased by %s', v_n, v_text) end;
    advice := case when v_n > 0 then
        'a running worker takes these over at its next claim; if none runs, start one (rustok worker) or release them: '
        'select ops.release_stale_leases();' end;
    return next;

    -- ------------------------------------------------------------ default partitions
    check_name := 'default partition: commerce.orders';
    select count(*) into v_n from (select 1 from commerce.orders_default limit 100000) x;
    select string_agg(format('%s (%s rows)', x.expected_partition, x.row_count), ', '), min(x.quarter_from)::text
      into v_text, figure
      from commerce.order_default_rows() x;
    status := case when v_n > 0 then 'warn' else 'ok' end;
    advice := case when v_n > 0 then
        format('create the partitions, which moves the rows out: select * from commerce.create_order_partition(%L); '
               '(once per quarter listed by select * from commerce.order_default_rows())', figure) end;
    figure := case when v_n = 0 then 'empty' else format('%s rows belong in %s', v_n, v_text) end;
    return next;

    check_name := 'default partition: outbox.events';
    select count(*) into v_n from (select 1 from outbox.events_default limit 100000) x;
    select string_agg(distinct (e.occurred_at at time zone 'UTC')::date::text, ', ') into v_text
      from (select occurred_at from outbox.events_default limit 100000) e;
    status := case when v_n > 0 then 'warn' else 'ok' end;
    figure := case when v_n = 0 then 'empty' else format('%s events of %s', v_n, v_text) end;
    advice := case when v_n > 0 then 'create their daily partitions, which moves the rows out: select * from outbox.create_partitions();' end;
    return next;

    -- ------------------------------------------------------------ partitions ahead
    check_name := 'partitions ahead: commerce.orders';
    select array_agg(x.name order by x.i) filter (where to_regclass(format('commerce.%I', x.name)) is null),
           max(x.name)
      into v_names, v_text
      from (select i, commerce.order_partition_name(
                      ((commerce._quarter_start(now()) at time zone 'UTC') + make_interval(months => 3 * i)) at time zone 'UTC') as name
            from generate_series(0, s.order_quarters_ahead) i) x;
    status := case when v_names is null then 'ok'
                   when commerce.order_partition_name(now()) = any (v_names) then 'fail'
                   else 'warn' end;
    figure := case when v_names is null then format('this quarter and %s ahead exist (to %s)', s.order_quarters_ahead, v_text)
                   else 'missing: ' || array_to_string(v_names, ', ') end;
    advice := case when status <> 'ok' then
        'select * from ops.maintain(); (a worker runs it every 30 s: is one running?) or psql -f sql/ops/add_partitions.sql' end;
    return next;

    check_name := 'partitions ahead: outbox.events';
    select array_agg(outbox._partition_name(d::date) order by d) filter (where to_regclass(format('outbox.%I', outbox._partition_name(d::date))) is null)
      into v_names
      from generate_series(outbox._today(), outbox._today() + (select st.premake_days from outbox.settings st), interval '1 day') d;
    status := case when v_names is null then 'ok'
                   when outbox._partition_name(outbox._today()) = any (v_names) then 'fail'
                   else 'warn' end;
    figure := case when v_names is null then format('today and %s days ahead exist', (select st.premake_days from outbox.settings st))
                   else 'missing: ' || array_to_string(v_names, ', ') end;
    advice := case when status <> 'ok' then
        'select * from ops.maintain(); (a worker runs it every 30 s: is one running?) or psql -f sql/ops/add_partitions.sql' end;
    return next;

    -- ------------------------------------------------------------ expired outbox partitions
    check_name := 'expired outbox partitions';
    select count(*), min(p.day)::text,
           (select count(*) from outbox.deliveries d where d.occurred_at < max(p.range_to))
      into v_n, v_text, v_m
      from outbox.partitions p
     where p.range_to <= now() - (select st.retention from outbox.settings st) - s.expired_partition_grace;
    status := case when v_n > 0 then 'warn' else 'ok' end;
    figure := case when v_n = 0 then 'none past retention'
                   else format('%s daily partitions past retention (oldest %s); %s deliveries still refer to them', v_n, v_text, v_m) end;
    advice := case when v_n > 0 and v_m > 0 then
                       'pending or dead deliveries keep them: drain the consumer, or retry / discard its dead letters '
                       '(see select * from outbox.dead_letters), then select * from ops.maintain();'
                   when v_n > 0 then 'select * from ops.maintain(); (a worker runs it every 30 s: is one running?)' end;
    return next;

    -- ------------------------------------------------------------ index drift, on a sample of each tenant
    check_name := 'index drift (sampled)';
    if s.verify_sample = 0 then
        status := 'ok'; figure := 'not checked (verify_sample = 0)'; advice := null;
    else
        for r in select t.id, t.slug from core.tenants t where t.is_active order by t.slug loop
            v_tenants := v_tenants + 1;
            select coalesce(array_agg(v.aggregate_id), '{}'),
                   coalesce(array_agg(v.aggregate_type || ' ' || v.aggregate_id || ' ' || v.problem), '{}')
              into v_ids, v_names
              from index.verify_sample(r.id, s.verify_sample) v;
            v_checked := v_checked + 1;
            if cardinality(v_ids) > 0 then
                -- Not drift but lag: aggregates with an index event still pending (the backlog check covers those).
                select coalesce(array_agg(distinct e.aggregate_id), '{}') into v_pending
                  from outbox.deliveries d
                  join outbox.events e on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at and e.id = d.event_id
                 where d.tenant_id = r.id and d.consumer = 'index' and d.state = 'pending'
                   and e.aggregate_id = any (v_ids || r.id);
                select coalesce(array_agg(r.slug || ': ' || n), '{}') into v_names
                  from unnest(v_ids, v_names) as x(id, n)
                 where not (x.id = any (v_pending)) and not (r.id = any (v_pending));
                v_drift := v_drift || v_names;
            end if;
        end loop;
        status := case when cardinality(v_drift) > 0 then 'warn' else 'ok' end;
        figure := format('%s tenants, up to %s products, nodes and orders each: ', v_tenants, s.verify_sample)
                  || case when cardinality(v_drift) = 0 then 'no drift'
                          else format('%s drifted (%s)', cardinality(v_drift), array_to_string(v_drift[1:5], ', ')) end;
        advice := case when status <> 'ok' then
            'see select * from index.verify(''<tenant id>''); rebuild: select ops.request_reindex(''<tenant id>'', ''<type>'', array[<ids>]::uuid[]) '
            'or psql -v tenant=<slug> -f sql/ops/reindex_tenant.sql' end;
    end if;
    return next;

    -- ------------------------------------------------------------ replicas
    check_name := 'replica lag';
    select count(*), max(greatest(a.write_lag, a.flush_lag, a.replay_lag)),
           string_agg(a.application_name || ' ' || a.state, ', ') filter (where a.state <> 'streaming')
      into v_n, v_age, v_text
      from pg_catalog.pg_stat_replication a;
    if v_n = 0 then
        status := 'ok'; figure := 'no replicas'; advice := null;
    else
        status := ops._grade(extract(epoch from v_age), extract(epoch from s.replica_lag_warn), extract(epoch from s.replica_lag_fail));
        figure := format('%s replicas, largest lag %s', v_n, coalesce(ops._age(v_age), 'unknown'));
        if v_text is not null then
            status := ops._worse(status, 'warn'); figure := figure || '; not streaming: ' || v_text;
        end if;
        advice := case when status <> 'ok' then 'look at select * from pg_stat_replication; and the replica''s server log' end;
    end if;
    return next;

    check_name := 'replication slots';
    if pg_catalog.pg_is_in_recovery() then
        select 0::bigint, null::text into v_n, v_text;
    else
        select count(*), string_agg(format('%s (%s retained)', sl.slot_name,
                                           pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), sl.restart_lsn))), ', ')
          into v_n, v_text
          from pg_catalog.pg_replication_slots sl where not sl.active;
    end if;
    status := case when v_n > 0 then 'warn' else 'ok' end;
    figure := case when v_n = 0 then 'no inactive slots' else format('%s inactive slots hold WAL: %s', v_n, v_text) end;
    advice := case when v_n > 0 then 'if the replica is gone for good: select pg_drop_replication_slot(''<name>'');' end;
    return next;

    -- ------------------------------------------------------------ bloat of the hot tables
    for r in
        with hot(name, parent) as (values ('outbox.deliveries', null), ('outbox.doorbell', null),
                                          ('outbox.events', 'outbox.events'),
                                          ('index.products', null), ('index.product_prices', null), ('index.product_search', null),
                                          ('index.content', null), ('index.orders', null)),
        rels as (
            select h.name, c.oid
            from hot h join pg_catalog.pg_class c on c.oid = h.name::regclass and h.parent is null
            union all
            select h.name, i.inhrelid
            from hot h join pg_catalog.pg_inherits i on i.inhparent = h.parent::regclass
        )
        select rels.name,
               coalesce(sum(st.n_live_tup), 0) as live, coalesce(sum(st.n_dead_tup), 0) as dead,
               max(greatest(st.last_vacuum, st.last_autovacuum)) as vacuumed,
               sum(pg_relation_size(rels.oid)) as table_bytes, sum(pg_indexes_size(rels.oid)) as index_bytes
        from rels left join pg_catalog.pg_stat_user_tables st on st.relid = rels.oid
        group by rels.name
        order by rels.name
    loop
        check_name := 'bloat: ' || r.name;
        v_ratio := case when r.live + r.dead > 0 then r.dead::numeric / (r.live + r.dead) else 0 end;
        status := case when r.dead < s.dead_tuples_min then 'ok'
                       else ops._grade(v_ratio, s.dead_tuples_warn_ratio, s.dead_tuples_fail_ratio) end;
        figure := format('%s%% dead (%s dead, %s live tuples); table %s, indexes %s; last vacuum %s',
                         round(100 * v_ratio), r.dead, r.live, pg_size_pretty(r.table_bytes), pg_size_pretty(r.index_bytes),
                         case when r.vacuumed is null then 'never' else ops._age(now() - r.vacuumed) || ' ago' end);
        advice := case when status <> 'ok' then
            format('vacuum (verbose, analyze) %s; if dead tuples stay, a long or idle-in-transaction session holds '
                   'cleanup back (see the session checks); swollen indexes: reindex table concurrently %s;', r.name, r.name) end;
        return next;
    end loop;

    -- ------------------------------------------------------------ sessions
    select count(*) filter (where a.state is null) into v_m
      from pg_catalog.pg_stat_activity a where a.backend_type = 'client backend';

    check_name := 'long-running statements';
    select count(*), max(now() - a.query_start),
           string_agg(format('pid %s (%s, %s)', a.pid, a.usename, ops._age(now() - a.query_start)), ', ' order by a.query_start)
      into v_n, v_age, v_text
      from pg_catalog.pg_stat_activity a
     where a.backend_type = 'client backend' and a.state = 'active' and a.pid <> pg_backend_pid()
       and a.query_start < now() - s.long_query_warn;
    status := ops._grade(extract(epoch from v_age), extract(epoch from s.long_query_warn), extract(epoch from s.long_query_fail));
    figure := case when v_n = 0 then format('none longer than %s', ops._age(s.long_query_warn))
                   else format('%s longer than %s: %s', v_n, ops._age(s.long_query_warn), v_text) end
              || case when v_m > 0 then format(' (%s sessions of other roles not visible: grant pg_read_all_stats to %s)', v_m, current_user) else '' end;
    advice := case when status <> 'ok' then
        'if it should not run that long: select pg_cancel_backend(<pid>); (pg_terminate_backend(<pid>) ends the session)' end;
    return next;

    check_name := 'idle in transaction';
    select count(*), max(now() - a.state_change),
           string_agg(format('pid %s (%s, %s)', a.pid, a.usename, ops._age(now() - a.state_change)), ', ' order by a.state_change)
      into v_n, v_age, v_text
      from pg_catalog.pg_stat_activity a
     where a.backend_type = 'client backend' and a.state like 'idle in transaction%' and a.pid <> pg_backend_pid()
       and a.state_change < now() - s.idle_in_transaction_warn;
    status := ops._grade(extract(epoch from v_age), extract(epoch from s.idle_in_transaction_warn),
                         extract(epoch from s.idle_in_transaction_fail));
    figure := case when v_n = 0 then format('none idle longer than %s', ops._age(s.idle_in_transaction_warn))
                   else format('%s idle in a transaction longer than %s: %s', v_n, ops._age(s.idle_in_transaction_warn), v_text) end;
    advice := case when status <> 'ok' then
        'they hold back vacuum of the queue tables: select pg_terminate_backend(<pid>); and fix the client '
        '(idle_in_transaction_session_timeout is 60 s for rustok_app)' end;
    return next;

    -- ------------------------------------------------------------ counters near their limits
    check_name := 'counters and sequences';
    -- Order numbers are bigint in SQL but GraphQL's Int (displayId) is 32-bit: that is the limit that matters.
    select c.last_display_id, t.slug into v_n, v_text
      from commerce.order_counters c join core.tenants t on t.id = c.tenant_id
     order by c.last_display_id desc limit 1;
    v_ratio := coalesce(v_n, 0)::numeric / 2147483647;
    status := ops._grade(v_ratio, s.counter_warn_ratio, s.counter_fail_ratio);
    figure := format('highest order number %s (%s) is %s%% of GraphQL Int', coalesce(v_n, 0), coalesce(v_text, 'no orders'),
                     round(100 * v_ratio, 1));
    advice := case when status <> 'ok' then
        'orders of that tenant will soon not fit displayId: Int; plan a switch of displayId to a String or BigInt scalar' end;
    select sq.schemaname || '.' || sq.sequencename, sq.last_value::numeric / sq.max_value
      into v_text, v_ratio
      from pg_catalog.pg_sequences sq
     where sq.schemaname not in ('pg_catalog', 'information_schema') and sq.increment_by > 0 and sq.last_value is not null
     order by sq.last_value::numeric / sq.max_value desc limit 1;
    if v_text is not null then
        v_status := ops._grade(v_ratio, s.counter_warn_ratio, s.counter_fail_ratio);
        figure := figure || format('; fullest sequence %s at %s%%', v_text, round(100 * v_ratio, 1));
        if v_status <> 'ok' then
            advice := coalesce(advice || '; ', '')
                      || format('widen the sequence: alter sequence %s as bigint maxvalue 9223372036854775807; (and its column to bigint)', v_text);
        end if;
        status := ops._worse(status, v_status);
    end if;
    return next;

    check_name := 'transaction id age';
    select age(d.datfrozenxid) into v_n from pg_catalog.pg_database d where d.datname = current_database();
    status := ops._grade(v_n, s.xid_age_warn, s.xid_age_fail);
    figure := format('oldest unfrozen xid is %s transactions old (wraparound protection stops writes near 2.1 billion)', v_n);
    advice := case when status <> 'ok' then
        'autovacuum is not freezing fast enough: look for long transactions and abandoned replication slots, then '
        'vacuum (freeze, verbose) the oldest tables (select relname, age(relfrozenxid) from pg_class order by 2 desc)' end;
    return next;

    -- ------------------------------------------------------------ the worker's periodic jobs
    return query select * from ops._job_check('last ops.maintain()', 'ops.maintain', s.maintain_warn_age, s.maintain_fail_age,
        'start a worker (rustok worker; it runs ops.maintain every 30 s) and read its log; meanwhile: select * from ops.maintain();');
    return query select * from ops._job_check('last full reindex', 'index.full_reindex', s.full_reindex_warn_age, s.full_reindex_fail_age,
        'the worker runs it daily at RUSTOK_INDEX_FULL_REINDEX_AT: is a worker running, with the reindex not off? '
        'by hand: rustok reindex, or psql -v tenant=<slug> -f sql/ops/reindex_tenant.sql');
end
$$;
comment on function ops.health() is
    'One row per health check: check_name, status (ok, warn or fail), figure (what was measured, in words) and advice '
    '(what to do, null when ok). Checks: migrations and code tree, outbox backlog per consumer, dead letters, leases of '
    'dead workers, default partitions, partitions ahead, expired outbox partitions, index drift on a sample of each '
    'tenant, replica lag and slots, bloat of the hot tables, long and idle-in-transaction sessions, counters and '
    'sequences, transaction id age, the last ops.maintain() and full reindex. Thresholds: ops.health_settings. '
    'psql: select * from ops.health() where status <> ''ok''; CLI: rustok doctor (exits 2 on fail).';
revoke all on function ops.health() from public;
