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
begin
    perform index._listing_caches_lock(p_tenant_ids);
    -- a separate statement: its snapshot sees a fill that committed while we waited for the lock
    delete from index.facet_cache c where c.tenant_id = any (p_tenant_ids);
    delete from index.search_cache c where c.tenant_id = any (p_tenant_ids);
    delete from index.search_tallies c where c.tenant_id = any (p_tenant_ids);
end
$$;
comment on function index._facet_cache_invalidate(uuid[]) is
    'Internal: delete the cached facet counts, listing results and kept listing tallies (index.facet_cache, '
    'index.search_cache, index.search_tallies) of these '
    'tenants (after taking their facet cache locks shared, so a fill running at the same time either commits first '
    'and is deleted, or is skipped). Called by the truncate trigger on index.products and the rebuild''s repair of '
    'drifted search rows.';
-- definer: empties any tenant's cache rows; only its triggers call it
revoke all on function index._facet_cache_invalidate(uuid[]) from public, rustok_app, rustok_analyst;

create or replace function index._listing_caches_lock(p_tenant_ids uuid[]) returns void
    language plpgsql volatile
as $$
declare
    v_tenant uuid;
begin
    -- sorted: shared locks never deadlock with each other, and fillers only try-lock
    for v_tenant in select distinct t from unnest(p_tenant_ids) t where t is not null order by 1 loop
        perform pg_catalog.pg_advisory_xact_lock_shared(index._facet_cache_lock_key(v_tenant));
    end loop;
end
$$;
comment on function index._listing_caches_lock(uuid[]) is
    'Internal: take the facet cache locks of these tenants shared (in tenant order), as every invalidation of '
    'index.facet_cache and index.search_cache does before its delete.';
revoke all on function index._listing_caches_lock(uuid[]) from public, rustok_app, rustok_analyst;

create or replace function index.tg_products__facet_cache() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenants uuid[];
    v_search  uuid[];
    v_many    boolean;
begin
    -- index.facet_cache: the tenants with inserted or deleted rows or changes of the columns the counts read.
    -- index.search_cache: also title, created_at, search_vector (orders and ranks); and per entry only when a
    -- changed row matches its text before or after the change (a product that matched neither way was in none
    -- of its results), or the entry has no text (a filtered listing of the whole catalogue), or the statement
    -- changed more than 20 rows (then checking every entry against every row costs more than a refill).
    if tg_op = 'INSERT' then
        select array_agg(distinct n.tenant_id), count(*) > 20 into v_tenants, v_many from new_rows n;
        v_search := v_tenants;
    elsif tg_op = 'UPDATE' then
        -- only columns the cached counts depend on (a stock level that stays above zero, a title, a
        -- description... change items only, which are never cached)
        select array_agg(distinct coalesce(n.tenant_id, o.tenant_id)) filter (
                   where n.product_id is null or o.product_id is null
                      or (n.status, n.has_stock, n.category_ids, n.tag_slugs, n.prices)
                         is distinct from (o.status, o.has_stock, o.category_ids, o.tag_slugs, o.prices)),
               array_agg(distinct coalesce(n.tenant_id, o.tenant_id)),
               count(*) > 20
        into v_tenants, v_search, v_many
        from new_rows n
        full join old_rows o on o.tenant_id = n.tenant_id and o.product_id = n.product_id
        where n.product_id is null or o.product_id is null
           or (n.status, n.has_stock, n.category_ids, n.tag_slugs, n.prices, n.title, n.created_at, n.search_vector)
              is distinct from (o.status, o.has_stock, o.category_ids, o.tag_slugs, o.prices, o.title, o.created_at,
                                o.search_vector);
    elsif tg_op = 'DELETE' then
        select array_agg(distinct o.tenant_id), count(*) > 20 into v_tenants, v_many from old_rows o;
        v_search := v_tenants;
    end if;
    if v_search is null then
        return null;
    end if;
    perform index._listing_caches_lock(v_search);   -- v_tenants is a part of it
    -- separate statements: their snapshots see a fill that committed while we waited for the lock
    if v_tenants is not null then
        delete from index.facet_cache c where c.tenant_id = any (v_tenants);
    end if;
    if v_many then
        delete from index.search_cache c where c.tenant_id = any (v_search);
    elsif tg_op = 'INSERT' then
        delete from index.search_cache c
        where c.tenant_id = any (v_search)
          and case when c.inputs ->> 1 = '' or not pg_catalog.pg_input_is_valid(c.inputs ->> 1, 'tsquery') then true
                   else exists (select from new_rows n
                                where n.tenant_id = c.tenant_id and n.search_vector @@ (c.inputs ->> 1)::tsquery) end;
    elsif tg_op = 'DELETE' then
        delete from index.search_cache c
        where c.tenant_id = any (v_search)
          and case when c.inputs ->> 1 = '' or not pg_catalog.pg_input_is_valid(c.inputs ->> 1, 'tsquery') then true
                   else exists (select from old_rows o
                                where o.tenant_id = c.tenant_id and o.search_vector @@ (c.inputs ->> 1)::tsquery) end;
    else
        delete from index.search_cache c
        where c.tenant_id = any (v_search)
          and case when c.inputs ->> 1 = '' or not pg_catalog.pg_input_is_valid(c.inputs ->> 1, 'tsquery') then true
                   else exists (select from new_rows n
                                where n.tenant_id = c.tenant_id and n.search_vector @@ (c.inputs ->> 1)::tsquery)
                     or exists (select from old_rows o
                                where o.tenant_id = c.tenant_id and o.search_vector @@ (c.inputs ->> 1)::tsquery) end;
    end if;
    return null;
end
$$;
comment on function index.tg_products__facet_cache() is
    'AFTER statement trigger on index.products (insert, update, delete): empties index.facet_cache for the tenants '
    'with inserted or deleted rows or rows whose status, has_stock, category_ids, tag_slugs or prices changed, and '
    'deletes the index.search_cache entries that such a row or one whose title, created_at or search_vector changed '
    'may have been part of: those whose text the row matches before or after, those without text, or all of the '
    'tenant''s when the statement changed more than 20 rows (a rebuild that changes nothing has empty transition '
    'tables).';
revoke all on function index.tg_products__facet_cache() from public, rustok_app, rustok_analyst;

create or replace function index.tg_products__facet_cache_truncate() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform index._facet_cache_invalidate(array(select distinct c.tenant_id from index.facet_cache c
                                                union select distinct s.tenant_id from index.search_cache s
                                                union select distinct t.tenant_id from index.search_tallies t));
    return null;
end
$$;
comment on function index.tg_products__facet_cache_truncate() is
    'AFTER TRUNCATE trigger on index.products: empties index.facet_cache, index.search_cache and index.search_tallies '
    '(index.product_search is truncated with it).';
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

-- ---------------------------------------------------------------- index.search_cache (listings with text or filters)

create or replace function index._search_cache_invalidate(p_tenant_ids uuid[]) returns void
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    -- the same lock as the facet cache: a fill holds it exclusively (try) from before its snapshot to its commit
    perform index._listing_caches_lock(p_tenant_ids);
    delete from index.search_cache c where c.tenant_id = any (p_tenant_ids);
    delete from index.search_tallies c where c.tenant_id = any (p_tenant_ids);
end
$$;
comment on function index._search_cache_invalidate(uuid[]) is
    'Internal: delete the cached listing results and kept tallies (index.search_cache, index.search_tallies) of these '
    'tenants, after taking their facet '
    'cache locks shared (as index._facet_cache_invalidate does). For operators and tests; the triggers on '
    'index.products delete only the entries a change may concern.';
revoke all on function index._search_cache_invalidate(uuid[]) from public, rustok_app, rustok_analyst;

create or replace function index._search_cache_key(p_inputs jsonb) returns uuid
    language sql immutable parallel safe
as $$ select pg_catalog.md5(p_inputs::text)::uuid $$;
comment on function index._search_cache_key(jsonb) is
    'Internal: the key of index.search_cache for the inputs of a listing statement (md5 of their JSON text).';

create or replace function index._search_cache_get(p_tenant_id uuid, p_inputs jsonb) returns jsonb
    language sql stable
as $$
    select c.result
    from index.search_cache c
    where c.tenant_id = p_tenant_id and c.key = index._search_cache_key(p_inputs) and c.inputs = p_inputs
      and coalesce(pg_catalog.current_setting('rustok.facet_cache', true), '') is distinct from 'off'
$$;
comment on function index._search_cache_get(uuid, jsonb) is
    'Internal: the cached result of a listing statement with these inputs (index.search_cache), or null (none, or '
    'the caches are bypassed: rustok.facet_cache = off).';

create or replace function index._search_cache_may_fill(p_tenant_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    -- as index._browse_facets: read committed (the statements after the lock take new snapshots), a writable
    -- transaction (not a standby), the tenant's own rows; then the per-tenant lock exclusively, not waiting (busy
    -- means an invalidating transaction is in flight or another fill runs: compute without caching). Taken BEFORE
    -- the result is computed, so that no change can commit between its snapshot and the insert unseen.
    if coalesce(pg_catalog.current_setting('rustok.facet_cache', true), '') is distinct from 'off'
       and pg_catalog.current_setting('transaction_isolation') = 'read committed'
       and pg_catalog.current_setting('transaction_read_only') = 'off'
       and pg_catalog.has_table_privilege('index.search_cache', 'INSERT')
       and (not pg_catalog.row_security_active('index.products')
            or core.current_tenant_id() is not distinct from p_tenant_id) then
        return pg_catalog.pg_try_advisory_xact_lock(index._facet_cache_lock_key(p_tenant_id));
    end if;
    return false;
end
$$;
comment on function index._search_cache_may_fill(uuid) is
    'Internal: whether the listing about to be computed may be stored in index.search_cache (caches on, read '
    'committed, writable, own tenant), taking the tenant''s facet cache lock exclusively (try) if so. Call before '
    'computing the result; then index._search_cache_put.';

create or replace function index._search_cache_put(p_tenant_id uuid, p_inputs jsonb, p_result jsonb, p_started timestamptz)
    returns void
    language plpgsql volatile
as $$
declare
    v_ms  double precision := extract(epoch from pg_catalog.clock_timestamp() - p_started) * 1000;
    v_min text := coalesce(pg_catalog.current_setting('rustok.search_cache_min_ms', true), '');
    v_floor double precision := 5;
begin
    if pg_catalog.pg_input_is_valid(v_min, 'double precision') then
        v_floor := v_min::double precision;
    end if;
    -- only results that cost something to compute: a rare word's few matches are cheaper to count again than to
    -- store (and each write would empty them anyway)
    if v_ms < v_floor then
        return;
    end if;
    -- at most 256 rows per tenant: the 32 oldest make room
    if (select count(*) from index.search_cache c where c.tenant_id = p_tenant_id) >= 256 then
        delete from index.search_cache c
        where c.tenant_id = p_tenant_id
          and c.key in (select o.key from index.search_cache o where o.tenant_id = p_tenant_id
                        order by o.filled_at limit 32);
    end if;
    insert into index.search_cache (tenant_id, key, inputs, result, cost_ms)
    values (p_tenant_id, index._search_cache_key(p_inputs), p_inputs, p_result, v_ms)
    on conflict do nothing;
end
$$;
comment on function index._search_cache_put(uuid, jsonb, jsonb, timestamptz) is
    'Internal: store a listing result computed since p_started (after index._search_cache_may_fill said yes) when it '
    'took at least rustok.search_cache_min_ms milliseconds (default 5); at most 256 rows per tenant, the oldest '
    'evicted first.';

comment on table index.search_cache is
    'Cache of storefront listing results with search text or filters (index.read_products_page: the one-pass search '
    'with facets and the general path), keyed by the statement''s exact inputs (the parsed tsquery, filters, sort, '
    'currency, cursor, page size, what was asked). Holds what was computed from the search rows: total, raw facet '
    'counts and the page''s product ids with cursors and ranks; display columns and facet names are joined at read '
    'time. Filled by the read (results that took rustok.search_cache_min_ms, default 5 ms, or more; at most 256 rows '
    'per tenant), emptied per tenant by the triggers on index.products (_900_facet_cache_invalidate_*) whenever a '
    'read row changes in a column a listing reads. Disposable; bypassed with set rustok.facet_cache = off.';
comment on column index.search_cache.tenant_id is 'The tenant (core.tenants.id) whose listing was computed.';
comment on column index.search_cache.key is 'md5 of inputs (index._search_cache_key).';
comment on column index.search_cache.inputs is
    'The inputs of the statement as a JSON array: path (one-pass or general), parsed tsquery text, and the '
    'arguments that shape the result.';
comment on column index.search_cache.result is
    '{total (capped at 10,000), capped, counts: raw facet counts as index.facet_cache.counts or null, rows: '
    '[[cursor, rank, product_id], ...] in page order}.';
comment on column index.search_cache.cost_ms is 'Milliseconds the result took to compute.';
comment on column index.search_cache.filled_at is 'When the row was computed (the oldest are evicted first).';

select core.enable_tenant_rls('index.search_cache');
select core.allow_analyst_read('index.search_cache');
select core.allow_tenant_analyst_read('index.search_cache');
grant select on index.search_cache to rustok_analyst, rustok_tenant_analyst;
