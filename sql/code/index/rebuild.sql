-- index/rebuild.sql: rebuild read rows for a set of ids (called by the consumer and by operators).

create or replace function index._rebuild(p_aggregate_type text, p_tenant_id uuid, p_ids uuid[], p_events outbox.events[] default '{}')
    returns integer
    language plpgsql volatile
as $$
declare
    v_mode text := current_setting('plan_cache_mode');
    v_rows integer;
begin
    perform index._check_type(p_aggregate_type);
    -- A small rebuild (the projector with no backlog: one or a few events) uses the cached generic plans: a
    -- custom plan of the rebuild statements costs 10-30 ms to make for 1-5 ms of work (commit-to-index lag).
    -- Big ones (reindex chunks, batches of a backlog) plan for their size. (Restored below; an error rolls
    -- back the setting with the caller's subtransaction.)
    perform set_config('plan_cache_mode', case when cardinality(p_ids) <= 500 then 'force_generic_plan' else 'auto' end, true);
    v_rows := case p_aggregate_type
        when 'product' then index._rebuild_products(p_tenant_id, p_ids, p_events)
        when 'node' then index._rebuild_content(p_tenant_id, p_ids, p_events)
        else index._rebuild_orders(p_tenant_id, p_ids, p_events)
    end;
    perform set_config('plan_cache_mode', v_mode, true);
    return v_rows;
end
$$;
comment on function index._rebuild(text, uuid, uuid[], outbox.events[]) is
    'Internal: rebuild the read rows of some aggregates (product, node or order) of one tenant. Returns rows changed.';

create or replace function index._rebuild_public(p_aggregate_type text, p_ids uuid[], p_tenant_id uuid)
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

create or replace function index.rebuild_products(p_product_ids uuid[], p_tenant_id uuid default null) returns integer
    language sql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$ select index._rebuild_public('product', p_product_ids, p_tenant_id) $$;
comment on function index.rebuild_products(uuid[], uuid) is
    'Rebuild the index.products rows of these products now, from the write tables (set-based, idempotent: an unchanged '
    'row is not rewritten; a deleted product loses its row). Give p_tenant_id when known (uses the primary keys); '
    'without it the tenants are looked up by id. Returns rows changed. psql: select index.rebuild_products(array[''<id>''::uuid]);';
revoke all on function index.rebuild_products(uuid[],uuid) from public, rustok_app, rustok_analyst;  -- operators (owner) only: it rebuilds any tenant

create or replace function index.rebuild_content(p_node_ids uuid[], p_tenant_id uuid default null) returns integer
    language sql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$ select index._rebuild_public('node', p_node_ids, p_tenant_id) $$;
comment on function index.rebuild_content(uuid[], uuid) is
    'Rebuild the index.content rows of these nodes now (set-based, idempotent; a deleted node loses its row). Returns rows changed.';
revoke all on function index.rebuild_content(uuid[],uuid) from public, rustok_app, rustok_analyst;  -- operators (owner) only: it rebuilds any tenant

create or replace function index.rebuild_orders(p_order_ids uuid[], p_tenant_id uuid default null) returns integer
    language sql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$ select index._rebuild_public('order', p_order_ids, p_tenant_id) $$;
comment on function index.rebuild_orders(uuid[], uuid) is
    'Rebuild the index.orders rows of these orders now (set-based, idempotent; a deleted order loses its row). Returns rows changed.';
revoke all on function index.rebuild_orders(uuid[],uuid) from public, rustok_app, rustok_analyst;  -- operators (owner) only: it rebuilds any tenant
