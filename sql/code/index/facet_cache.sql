-- index/facet_cache.sql: the per-tenant cache of unfiltered browse facets, and its invalidation.

-- ---------------------------------------------------------------- invalidation
create or replace function index._facet_cache_lock_key(p_tenant_id uuid) returns bigint
    language sql immutable parallel safe
as $$ select pg_catalog.hashtextextended('index/facet_cache/' || p_tenant_id::text, 0) $$;
comment on function index._facet_cache_lock_key(uuid) is
    'Internal: the advisory lock key that orders a facet cache fill (exclusive, try) against invalidations (shared) of a tenant.';

create or replace function index._facet_cache_invalidate(p_tenant_ids uuid[]) returns void
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenant uuid;
begin
    -- sorted: shared locks never deadlock with each other, and fillers only try-lock
    for v_tenant in select distinct t from unnest(p_tenant_ids) t where t is not null order by 1 loop
        perform pg_catalog.pg_advisory_xact_lock_shared(index._facet_cache_lock_key(v_tenant));
    end loop;
    -- a separate statement: its snapshot sees a fill that committed while we waited for the lock
    delete from index.facet_cache c where c.tenant_id = any (p_tenant_ids);
end
$$;
comment on function index._facet_cache_invalidate(uuid[]) is
    'Internal: delete the cached facet counts of these tenants (after taking their facet cache locks shared, so a '
    'fill running at the same time either commits first and is deleted, or is skipped). Called by the triggers on '
    'index.products.';
-- definer: empties any tenant's cache rows; only its triggers call it
revoke all on function index._facet_cache_invalidate(uuid[]) from public, rustok_app, rustok_analyst;

create or replace function index.tg_products__facet_cache() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenants uuid[];
begin
    if tg_op = 'INSERT' then
        select array_agg(distinct n.tenant_id) into v_tenants from new_rows n;
    elsif tg_op = 'UPDATE' then
        -- only columns the cached counts depend on (a stock level that stays above zero, a title, a
        -- description... change items only, which are never cached)
        select array_agg(distinct coalesce(n.tenant_id, o.tenant_id)) into v_tenants
        from new_rows n
        full join old_rows o on o.tenant_id = n.tenant_id and o.product_id = n.product_id
        where n.product_id is null or o.product_id is null
           or (n.status, n.has_stock, n.category_ids, n.tag_slugs, n.prices)
              is distinct from (o.status, o.has_stock, o.category_ids, o.tag_slugs, o.prices);
    elsif tg_op = 'DELETE' then
        select array_agg(distinct o.tenant_id) into v_tenants from old_rows o;
    end if;
    if v_tenants is not null then
        perform index._facet_cache_invalidate(v_tenants);
    end if;
    return null;
end
$$;
comment on function index.tg_products__facet_cache() is
    'AFTER statement trigger on index.products (insert, update, delete): empties index.facet_cache for the tenants '
    'with inserted or deleted rows or rows whose status, has_stock, category_ids, tag_slugs or prices changed (one '
    'delete per statement; a rebuild that changes nothing has empty transition tables).';
revoke all on function index.tg_products__facet_cache() from public, rustok_app, rustok_analyst;

create or replace function index.tg_products__facet_cache_truncate() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform index._facet_cache_invalidate(array(select distinct c.tenant_id from index.facet_cache c));
    return null;
end
$$;
comment on function index.tg_products__facet_cache_truncate() is
    'AFTER TRUNCATE trigger on index.products: empties index.facet_cache.';
revoke all on function index.tg_products__facet_cache_truncate() from public, rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- index.facet_cache

comment on table index.facet_cache is
    'Cache of the unfiltered product listing counts (index.search_products with no query and no filters): total and '
    'facet counts per tenant, visibility, currency and price bucket bounds. Filled on demand by the search (at most '
    '32 rows per tenant), emptied per tenant by trigger _900_facet_cache_invalidate whenever index.products of that '
    'tenant changes. Disposable: delete rows at will (the next page refills). Bypass per session or transaction '
    'with set rustok.facet_cache = off.';
comment on column index.facet_cache.include_unpublished is 'Visibility: true = staff (every status), false = public (published only).';
comment on column index.facet_cache.currency_code is 'p_currency of the search, '''' when none (price buckets are then empty).';
comment on column index.facet_cache.bounds is 'Price bucket lower bounds (minor units) the price buckets were counted with.';
comment on column index.facet_cache.total is 'Number of products visible (the unfiltered total).';
comment on column index.facet_cache.counts is
    'Raw counts without names: {categories: [{id, n}] (top 50 by count, id), tags: [{slug, n}] (top 50 by count, '
    'slug), priceBuckets: [{min, max, count}], inStock: {true, false}}. Names are joined at read time.';
comment on column index.facet_cache.filled_at is 'When the row was computed.';
comment on column index.facet_cache.tenant_id is 'The tenant (core.tenants.id) whose listing was counted.';

select core.enable_tenant_rls('index.facet_cache');
select core.allow_analyst_read('index.facet_cache');
select core.allow_tenant_analyst_read('index.facet_cache');
grant select, insert on index.facet_cache to rustok_app;
grant select on index.facet_cache to rustok_analyst, rustok_tenant_analyst;
