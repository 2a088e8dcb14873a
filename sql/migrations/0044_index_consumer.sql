-- depends: 0041_index_content 0042_index_products 0043_index_orders 0033_outbox_core_events 0011_content_events 0024_commerce_events
-- The index consumer (outbox consumer 'index'), the public rebuild functions, whole-tenant reindex,
-- verify (drift report) and the word list upkeep.

-- ---------------------------------------------------------------- dispatch
create function index._check_type(p_aggregate_type text) returns void
    language plpgsql immutable
as $$
begin
    if p_aggregate_type is null or p_aggregate_type not in ('product', 'node', 'order') then
        raise exception 'p_aggregate_type: must be product, node or order (got %)', coalesce(p_aggregate_type, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
end
$$;
comment on function index._check_type(text) is 'Internal: raise 22023 unless the aggregate type is one the index builds (product, node, order).';

create function index._rebuild(p_aggregate_type text, p_tenant_id uuid, p_ids uuid[], p_events outbox.events[] default '{}')
    returns integer
    language plpgsql volatile
as $$
begin
    perform index._check_type(p_aggregate_type);
    return case p_aggregate_type
        when 'product' then index._rebuild_products(p_tenant_id, p_ids, p_events)
        when 'node' then index._rebuild_content(p_tenant_id, p_ids, p_events)
        else index._rebuild_orders(p_tenant_id, p_ids, p_events)
    end;
end
$$;
comment on function index._rebuild(text, uuid, uuid[], outbox.events[]) is
    'Internal: rebuild the read rows of some aggregates (product, node or order) of one tenant. Returns rows changed.';

create function index._tenants_of(p_aggregate_type text, p_ids uuid[])
    returns table (tenant_id uuid, ids uuid[])
    language plpgsql stable
as $$
begin
    perform index._check_type(p_aggregate_type);
    -- ids alone (no tenant): find their tenants in the write table and in the read table (deleted rows)
    return query
    select x.tenant_id, array_agg(distinct x.id)
    from (
        select p.tenant_id, p.id from commerce.products p where p_aggregate_type = 'product' and p.id = any (p_ids)
        union all
        select i.tenant_id, i.product_id from index.products i where p_aggregate_type = 'product' and i.product_id = any (p_ids)
        union all
        select n.tenant_id, n.id from content.nodes n where p_aggregate_type = 'node' and n.id = any (p_ids)
        union all
        select i.tenant_id, i.node_id from index.content i where p_aggregate_type = 'node' and i.node_id = any (p_ids)
        union all
        select o.tenant_id, o.id from commerce.orders o where p_aggregate_type = 'order' and o.id = any (p_ids)
        union all
        select i.tenant_id, i.order_id from index.orders i where p_aggregate_type = 'order' and i.order_id = any (p_ids)
    ) x
    group by x.tenant_id;
end
$$;
comment on function index._tenants_of(text, uuid[]) is
    'Internal: group aggregate ids by tenant, looking them up in the write and read tables (used when no tenant is given).';

create function index._rebuild_public(p_aggregate_type text, p_ids uuid[], p_tenant_id uuid)
    returns integer
    language plpgsql volatile
as $$
declare
    v_r     record;
    v_total integer := 0;
begin
    perform index._check_type(p_aggregate_type);
    if p_ids is null or array_position(p_ids, null) is not null then
        raise exception 'p_ids: an array of ids without nulls is required' using errcode = 'invalid_parameter_value';
    end if;
    -- the consumer's per-aggregate locks (sorted: no deadlocks), so this never races with it
    perform pg_advisory_xact_lock(k)
    from (select distinct index._lock_key(p_aggregate_type, i) as k from unnest(p_ids) i order by 1) l;
    for v_r in
        select p_tenant_id as tenant_id, p_ids as ids where p_tenant_id is not null
        union all
        select t.tenant_id, t.ids from index._tenants_of(p_aggregate_type, p_ids) t where p_tenant_id is null
    loop
        v_total := v_total + index._rebuild(p_aggregate_type, v_r.tenant_id, v_r.ids);
    end loop;
    return v_total;
end
$$;
comment on function index._rebuild_public(text, uuid[], uuid) is
    'Internal: body of index.rebuild_products / rebuild_content / rebuild_orders.';

create function index.rebuild_products(p_product_ids uuid[], p_tenant_id uuid default null) returns integer
    language sql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$ select index._rebuild_public('product', p_product_ids, p_tenant_id) $$;
comment on function index.rebuild_products(uuid[], uuid) is
    'Rebuild the index.products rows of these products now, from the write tables (set-based, idempotent: an unchanged '
    'row is not rewritten; a deleted product loses its row). Give p_tenant_id when known (uses the primary keys); '
    'without it the tenants are looked up by id. Returns rows changed. psql: select index.rebuild_products(array[''<id>''::uuid]);';

create function index.rebuild_content(p_node_ids uuid[], p_tenant_id uuid default null) returns integer
    language sql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$ select index._rebuild_public('node', p_node_ids, p_tenant_id) $$;
comment on function index.rebuild_content(uuid[], uuid) is
    'Rebuild the index.content rows of these nodes now (set-based, idempotent; a deleted node loses its row). Returns rows changed.';

create function index.rebuild_orders(p_order_ids uuid[], p_tenant_id uuid default null) returns integer
    language sql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$ select index._rebuild_public('order', p_order_ids, p_tenant_id) $$;
comment on function index.rebuild_orders(uuid[], uuid) is
    'Rebuild the index.orders rows of these orders now (set-based, idempotent; a deleted order loses its row). Returns rows changed.';

grant execute on function index.rebuild_products(uuid[], uuid), index.rebuild_content(uuid[], uuid),
    index.rebuild_orders(uuid[], uuid) to rustok_app;

-- ---------------------------------------------------------------- whole-tenant reindex
create function index.reindex_ids(p_tenant_id uuid, p_aggregate_type text) returns uuid[]
    language plpgsql stable
as $$
begin
    perform index._check_type(p_aggregate_type);
    -- everything in the write table plus everything in the read table (rows to delete)
    return case p_aggregate_type
        when 'product' then array(
            select p.id from commerce.products p where p.tenant_id = p_tenant_id
            union select i.product_id from index.products i where i.tenant_id = p_tenant_id order by 1)
        when 'node' then array(
            select n.id from content.nodes n where n.tenant_id = p_tenant_id
            union select i.node_id from index.content i where i.tenant_id = p_tenant_id order by 1)
        else array(
            select o.id from commerce.orders o where o.tenant_id = p_tenant_id
            union select i.order_id from index.orders i where i.tenant_id = p_tenant_id order by 1)
    end;
end
$$;
comment on function index.reindex_ids(uuid, text) is
    'The ids a full reindex of one aggregate type of a tenant visits: all in the write table plus all in the read table '
    '(so stale rows are removed), sorted.';

create function index.reindex_chunk(p_tenant_id uuid, p_aggregate_type text, p_ids uuid[])
    returns table (succeeded integer, failed integer, busy integer, failed_ids uuid[], errors text[])
    language plpgsql volatile
as $$
declare
    v_ids   uuid[];
    v_mine  uuid[];
    v_id    uuid;
    v_state text;
    v_msg   text;
begin
    perform index._check_type(p_aggregate_type);
    if p_tenant_id is null then
        raise exception 'p_tenant_id: a tenant is required' using errcode = 'invalid_parameter_value';
    end if;
    v_ids := array(select distinct i from unnest(p_ids) i where i is not null order by 1);
    succeeded := 0; failed := 0; failed_ids := '{}'; errors := '{}';
    -- Try the consumer's per-aggregate locks (session level, never waiting: a reindex in one long transaction
    -- holds row locks from earlier chunks, so waiting here could deadlock with the consumer). An id whose lock
    -- is taken is being rebuilt right now by its holder from a snapshot taken after it got the lock: skip it
    -- (busy). The locks are taken before the rebuild reads anything and released right after the chunk.
    v_mine := array(select x.i from (select i, index._lock_key(p_aggregate_type, i) as k from unnest(v_ids) i order by 2) x
                    where pg_try_advisory_lock(x.k));
    busy := cardinality(v_ids) - cardinality(v_mine);
    begin
        begin
            perform index._rebuild(p_aggregate_type, p_tenant_id, v_mine);
            succeeded := cardinality(v_mine);
        exception when others then
            -- the chunk failed: one row at a time, so only the bad rows fail
            foreach v_id in array v_mine loop
                begin
                    perform index._rebuild(p_aggregate_type, p_tenant_id, array[v_id]);
                    succeeded := succeeded + 1;
                exception when others then
                    get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
                    failed := failed + 1;
                    failed_ids := failed_ids || v_id;
                    errors := errors || (v_state || ': ' || left(v_msg, 500));
                    raise warning 'index reindex: % % of tenant % failed: %: %', p_aggregate_type, v_id, p_tenant_id, v_state, v_msg;
                end;
            end loop;
        end;
    exception when others then
        perform pg_advisory_unlock(index._lock_key(p_aggregate_type, i)) from unnest(v_mine) i;
        raise;
    end;
    perform pg_advisory_unlock(index._lock_key(p_aggregate_type, i)) from unnest(v_mine) i;
    return next;
end
$$;
comment on function index.reindex_chunk(uuid, text, uuid[]) is
    'Rebuild one chunk of ids of a tenant in a subtransaction; if it fails, retry one id at a time (each in its own '
    'subtransaction) so one bad row cannot stop the rest. Ids being rebuilt at this moment by the index consumer (its '
    'advisory lock is taken) are skipped and counted as busy: the consumer rebuilds them from a newer snapshot. '
    'Returns (succeeded, failed, busy, failed_ids, errors). Used by index.reindex_tenant and by `rustok reindex`.';

create function index.reindex_tenant(
    p_tenant_id       uuid,
    p_aggregate_types text[] default array['product', 'node', 'order'],
    p_chunk_size      integer default 500
) returns table (total integer, succeeded integer, failed integer, seconds numeric, failed_ids uuid[], errors text[])
    language plpgsql volatile
as $$
declare
    v_start timestamptz := clock_timestamp();
    v_type  text;
    v_ids   uuid[];
    v_from  integer;
    v_r     record;
begin
    if p_tenant_id is null or not exists (select 1 from core.tenants t where t.id = p_tenant_id) then
        raise exception 'p_tenant_id: no tenant %', coalesce(p_tenant_id::text, 'null') using errcode = 'no_data_found';
    end if;
    if p_chunk_size is null or p_chunk_size < 1 then
        raise exception 'p_chunk_size: must be at least 1 (got %)', p_chunk_size using errcode = 'invalid_parameter_value';
    end if;
    total := 0; succeeded := 0; failed := 0; failed_ids := '{}'; errors := '{}';
    foreach v_type in array coalesce(p_aggregate_types, '{}') loop
        v_ids := index.reindex_ids(p_tenant_id, v_type);
        total := total + cardinality(v_ids);
        v_from := 1;
        while v_from <= cardinality(v_ids) loop
            select * into v_r from index.reindex_chunk(p_tenant_id, v_type, v_ids[v_from : v_from + p_chunk_size - 1]);
            succeeded := succeeded + v_r.succeeded + v_r.busy;
            failed := failed + v_r.failed;
            failed_ids := failed_ids || v_r.failed_ids;
            errors := errors || v_r.errors;
            v_from := v_from + p_chunk_size;
        end loop;
    end loop;
    perform index.refresh_words(p_tenant_id);
    seconds := round(extract(epoch from clock_timestamp() - v_start)::numeric, 3);
    return next;
end
$$;
comment on function index.reindex_tenant(uuid, text[], integer) is
    'Full reindex of a tenant (products, nodes and orders by default), chunk by chunk in one transaction: a failing '
    'chunk is retried row by row, so failures are counted, not fatal; ids the consumer is rebuilding at that moment count as succeeded. Returns total, succeeded, failed, seconds, the '
    'failed ids and their errors; then refreshes index.words. psql: select * from index.reindex_tenant(''<tenant id>'');';

-- ---------------------------------------------------------------- words
create function index.refresh_words(p_tenant_id uuid) returns table (added integer, removed integer)
    language plpgsql volatile
as $$
declare
    v_words text[];
begin
    v_words := array(
        select distinct w.w
        from (
            select concat_ws(' ', i.title, i.subtitle, array_to_string(i.tags, ' '),
                       (select string_agg(c ->> 'name', ' ') from jsonb_array_elements(i.categories) c),
                       left(i.description, 20000)) as txt
            from index.products i where i.tenant_id = p_tenant_id
            union all
            select concat_ws(' ', i.title, i.excerpt, array_to_string(i.tags, ' '), i.category_name, i.body_preview)
            from index.content i where i.tenant_id = p_tenant_id
        ) t
        cross join lateral index._words(t.txt) as w(w));
    delete from index.words w where w.tenant_id = p_tenant_id and not (w.word = any (v_words));
    get diagnostics removed = row_count;
    insert into index.words (tenant_id, word)
    select p_tenant_id, x from unnest(v_words) x
    on conflict do nothing;
    get diagnostics added = row_count;
    return next;
end
$$;
comment on function index.refresh_words(uuid) is
    'Recompute a tenant''s index.words from its read rows: add missing words, remove words no row contains any more '
    '(rebuilds only add). Run by index.reindex_tenant. Returns (added, removed).';

-- ---------------------------------------------------------------- verify
create function index._diff_keys(p_expected jsonb, p_actual jsonb) returns text[]
    language sql immutable parallel safe
as $$
    select array_agg(k order by k)
    from (select jsonb_object_keys(p_expected) union select jsonb_object_keys(p_actual)) as x(k)
    where p_expected -> k is distinct from p_actual -> k
$$;
comment on function index._diff_keys(jsonb, jsonb) is 'Internal: the keys whose values differ between two JSON objects, sorted.';

create function index.verify(p_tenant_id uuid)
    returns table (aggregate_type text, aggregate_id uuid, problem text, columns text[])
    language sql stable
as $$
    with skip as (select array['last_event_id', 'last_event_type', 'last_event_at', 'indexed_at'] as k),
    ps as (select s.product_id as id, to_jsonb(s) - (select k from skip) as j from index._product_rows(p_tenant_id, null) s),
    pi as (select i.product_id as id, to_jsonb(i) - (select k from skip) as j from index.products i where i.tenant_id = p_tenant_id),
    cs as (select s.node_id as id, to_jsonb(s) - (select k from skip) as j from index._content_rows(p_tenant_id, null) s),
    ci as (select i.node_id as id, to_jsonb(i) - (select k from skip) as j from index.content i where i.tenant_id = p_tenant_id),
    os as (select s.order_id as id, to_jsonb(s) - (select k from skip) as j from index._order_rows(p_tenant_id, null) s),
    oi as (select i.order_id as id, to_jsonb(i) - (select k from skip) as j from index.orders i where i.tenant_id = p_tenant_id),
    pp_expected as (
        select ps.id, e.key as currency_code, (e.value ->> 'min')::bigint as min_amount, (e.value ->> 'max')::bigint as max_amount
        from ps cross join lateral jsonb_each(ps.j -> 'prices') e
    ),
    pp_actual as (
        select pp.product_id as id, pp.currency_code, pp.min_amount, pp.max_amount
        from index.product_prices pp where pp.tenant_id = p_tenant_id
    ),
    diffs as (
        select 'product' as aggregate_type, coalesce(s.id, i.id) as aggregate_id,
               case when i.id is null then 'missing' when s.id is null then 'extra' else 'different' end as problem,
               case when s.id is not null and i.id is not null then index._diff_keys(s.j, i.j) end as columns
        from ps s full join pi i on i.id = s.id
        where s.j is distinct from i.j
        union all
        select distinct 'product', coalesce(e.id, a.id), 'different', array['product_prices']
        from pp_expected e
        full join pp_actual a on a.id = e.id and a.currency_code = e.currency_code
        where (e.min_amount, e.max_amount) is distinct from (a.min_amount, a.max_amount)
          and exists (select 1 from pi where pi.id = coalesce(e.id, a.id))
        union all
        select 'node', coalesce(s.id, i.id),
               case when i.id is null then 'missing' when s.id is null then 'extra' else 'different' end,
               case when s.id is not null and i.id is not null then index._diff_keys(s.j, i.j) end
        from cs s full join ci i on i.id = s.id
        where s.j is distinct from i.j
        union all
        select 'order', coalesce(s.id, i.id),
               case when i.id is null then 'missing' when s.id is null then 'extra' else 'different' end,
               case when s.id is not null and i.id is not null then index._diff_keys(s.j, i.j) end
        from os s full join oi i on i.id = s.id
        where s.j is distinct from i.j
    )
    select d.aggregate_type, d.aggregate_id, d.problem, d.columns from diffs d
    order by d.aggregate_type, d.aggregate_id, d.problem
$$;
comment on function index.verify(uuid) is
    'Recompute every read row of a tenant from the write tables and report each drifted one: problem missing (no read '
    'row), extra (read row without source) or different (columns lists what differs; product_prices when the price '
    'rows disagree). Bookkeeping columns (last_event_*, indexed_at) are ignored. Empty = the read model is exact. '
    'Meaningful once the index consumer is drained (pending events are not yet applied). '
    'psql: select * from index.verify(''<tenant id>'');';

-- ---------------------------------------------------------------- the consumer
create function index.handle_events(p_events outbox.events[]) returns void
    language plpgsql volatile
as $$
declare
    v_r record;
    v_s record;
begin
    -- coalesce by (tenant, aggregate type): one set-based rebuild per group, whatever the number of events
    for v_r in
        select e.tenant_id, e.aggregate_type, array_agg(distinct e.aggregate_id order by e.aggregate_id) as ids
        from unnest(p_events) e
        where e.aggregate_type in ('product', 'node', 'order')
          and not (e.event_type = 'ReindexRequested' and e.payload ->> 'scope' = 'tenant')
        group by e.tenant_id, e.aggregate_type
        order by e.tenant_id, e.aggregate_type
    loop
        perform index._rebuild(v_r.aggregate_type, v_r.tenant_id, v_r.ids, p_events);
    end loop;
    -- ReindexRequested for a whole type of a tenant (aggregate_id is the tenant)
    for v_r in
        select distinct e.tenant_id, e.aggregate_type
        from unnest(p_events) e
        where e.event_type = 'ReindexRequested' and e.payload ->> 'scope' = 'tenant'
          and e.aggregate_type in ('product', 'node', 'order')
        order by 1, 2
    loop
        select * into v_s from index.reindex_tenant(v_r.tenant_id, array[v_r.aggregate_type]);
        if v_s.failed > 0 then
            raise exception 'index: reindex of % of tenant % failed for % of % rows (first: % %)', v_r.aggregate_type,
                v_r.tenant_id, v_s.failed, v_s.total, v_s.failed_ids[1], v_s.errors[1]
                using errcode = 'object_not_in_prerequisite_state';
        end if;
    end loop;
end
$$;
comment on function index.handle_events(outbox.events[]) is
    'Handler of the outbox consumer ''index'': coalesces a batch by (tenant, aggregate type) and rebuilds the read rows '
    'of the named products, nodes and orders set-based (a deleted aggregate loses its row); ReindexRequested with scope '
    'aggregate rebuilds what it names, with scope tenant reindexes that type of the tenant. Idempotent.';

do $register$ begin
    perform outbox.register_consumer(
        'index', 'index.handle_events(outbox.events[])'::regprocedure,
        p_aggregate_types => array['product', 'node', 'order'],
        p_batch_size => 200,
        p_description => 'Read model (schema index): rebuilds index.products, index.content and index.orders.');
end $register$;

-- ---------------------------------------------------------------- a tenant's language changes every vector
create function index.tg_tenants__reindex_on_config() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.id, 'ReindexRequested', a.t, n.id,
           jsonb_build_object('target_type', a.t, 'target_id', null, 'scope', 'tenant', 'reason', 'text_search_config')
    from new_rows n
    join old_rows o on o.id = n.id
    cross join (values ('product'), ('node')) as a (t)
    where n.text_search_config is distinct from o.text_search_config;
    return null;
end
$$;
comment on function index.tg_tenants__reindex_on_config() is
    'AFTER UPDATE statement trigger on core.tenants (owned by the index module): a changed text_search_config emits '
    'ReindexRequested (scope tenant) for products and nodes, since every search vector of the tenant must be rebuilt.';
create trigger _900_index_reindex_on_config after update on core.tenants
    referencing old table as old_rows new table as new_rows
    for each statement execute function index.tg_tenants__reindex_on_config();
