-- index/consumer.sql: the index consumer: events in, rebuilds out.

create or replace function index._lock_key(p_aggregate_type text, p_aggregate_id uuid) returns bigint
    language sql immutable parallel safe
as $$ select pg_catalog.hashtextextended('index/' || p_aggregate_type || '/' || p_aggregate_id::text, 0) $$;
comment on function index._lock_key(text, uuid) is
    'Internal: the advisory lock key of one aggregate for the index consumer; the same key outbox.process_batch takes '
    'for consumer ''index'', so a reindex and the consumer never rebuild one aggregate from different snapshots at once.';

-- ---------------------------------------------------------------- dispatch
create or replace function index._check_type(p_aggregate_type text) returns void
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

create or replace function index._tenants_of(p_aggregate_type text, p_ids uuid[])
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

-- ---------------------------------------------------------------- the consumer
create or replace function index.handle_events(p_events outbox.events[]) returns void
    language plpgsql volatile
as $$
declare
    v_stock_tenants uuid[];
    v_stock_ids     uuid[];
    v_keys          bigint[] := '{}';
    v_key           bigint;
    v_held          bigint[] := '{}';
begin
    -- An OrderPlaced also stands for the stock its placement reserved (commerce.place_order's reservations emit no
    -- InventoryUpdated, see commerce.tg_inventory_levels__events): the products of every variant that shares an
    -- inventory item with the order's lines are rebuilt too. They are not the aggregates of this batch's events, so
    -- their consumer locks (the keys outbox.process_batch takes for product events) are taken here, in key order,
    -- before anything is read, and held until the rebuilds have written (their row locks keep later writers waiting
    -- until commit): two rebuilds of a product never run from different snapshots at once. Session locks, released
    -- before this returns whatever happens (outbox.drain is one long transaction: transaction locks would pile up).
    select array_agg(x.tenant_id), array_agg(x.product_id)
    into v_stock_tenants, v_stock_ids
    from (
        -- keyed lookups from each order (offset 0 keeps the subqueries lateral: never a scan of all order lines)
        select distinct e.tenant_id, v.product_id
        from unnest(p_events) e
        cross join lateral (select i.variant_id from commerce.order_items i
                            where i.tenant_id = e.tenant_id and i.order_id = e.aggregate_id offset 0) i
        cross join lateral (select vs.variant_id
                            from commerce.variant_inventory vi
                            join commerce.variant_inventory vs on vs.tenant_id = vi.tenant_id
                                                              and vs.inventory_item_id = vi.inventory_item_id
                            where vi.tenant_id = e.tenant_id and vi.variant_id = i.variant_id offset 0) vs
        cross join lateral (select v.product_id from commerce.variants v
                            where v.tenant_id = e.tenant_id and v.id = vs.variant_id offset 0) v
        where e.event_type = 'OrderPlaced' and e.aggregate_type = 'order'
    ) x;
    if v_stock_ids is null then
        perform index._handle_events(p_events, null, null);
        return;
    end if;
    v_keys := array(select distinct index._lock_key('product', i) from unnest(v_stock_ids) i order by 1);
    begin
        foreach v_key in array v_keys loop
            perform pg_advisory_lock(v_key);
            v_held := v_held || v_key;
        end loop;
        perform index._handle_events(p_events, v_stock_tenants, v_stock_ids);
        perform pg_advisory_unlock(k) from unnest(v_held) k;
    exception when others or query_canceled then
        perform pg_advisory_unlock(k) from unnest(v_held) k;   -- never leave a session lock behind
        raise;
    end;
end
$$;
comment on function index.handle_events(outbox.events[]) is
    'Handler of the outbox consumer ''index'': coalesces a batch by (tenant, aggregate type) and rebuilds the read rows '
    'of the named products, nodes and orders set-based (a deleted aggregate loses its row), with OrderPlaced also the '
    'products whose stock the placement reserved (their consumer locks taken first, in key order, released before it '
    'returns); ReindexRequested with scope aggregate rebuilds what it names, with scope tenant reindexes that type of '
    'the tenant. Idempotent.';

create or replace function index._handle_events(p_events outbox.events[], p_stock_tenants uuid[], p_stock_ids uuid[])
    returns void
    language plpgsql volatile
as $$
declare
    v_r    record;
    v_s    record;
    v_ids  uuid[];
    v_skip uuid[];
begin
    -- coalesce by (tenant, aggregate type): one set-based rebuild per group, whatever the number of events
    for v_r in
        select a.tenant_id, a.aggregate_type, array_agg(distinct a.id order by a.id) as ids
        from (
            select e.tenant_id, e.aggregate_type, e.aggregate_id as id
            from unnest(p_events) e
            where e.aggregate_type in ('product', 'node', 'order')
              and not (e.event_type = 'ReindexRequested' and e.payload ->> 'scope' = 'tenant')
            union all
            select s.tenant_id, 'product', s.id
            from unnest(p_stock_tenants, p_stock_ids) as s (tenant_id, id)
        ) a
        group by a.tenant_id, a.aggregate_type
        order by a.tenant_id, a.aggregate_type
    loop
        v_ids := v_r.ids;
        if v_r.aggregate_type = 'product' then
            -- products whose read row already shows all their events of this batch (an earlier batch rebuilt them
            -- after those transactions had committed) are left out, never those whose stock an OrderPlaced reserved
            v_skip := index._products_up_to_date(v_r.tenant_id, p_events);
            if cardinality(v_skip) > 0 then
                -- set operations (hashed), not `<> all` per id: a backlog's batch skips hundreds of thousands of pairs
                v_ids := array(select x.i from (select unnest(v_ids) except select unnest(v_skip)
                                                union
                                                select unnest(v_ids) intersect select unnest(p_stock_ids)) x (i)
                               order by x.i);
            end if;
        end if;
        if cardinality(v_ids) > 0 then
            perform index._rebuild(v_r.aggregate_type, v_r.tenant_id, v_ids, p_events);
        end if;
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
comment on function index._handle_events(outbox.events[], uuid[], uuid[]) is
    'Internal (index.handle_events): the rebuilds of a batch, plus the products (p_stock_tenants, p_stock_ids) whose '
    'stock its OrderPlaced events reserved, their consumer locks already held by the caller.';
