-- depends: 0045_index_search
-- Storefront landing page ("browse all", no search text, no filters) without a scan of the whole catalog:
--
-- * index.facet_cache holds the unfiltered total and facet counts per (tenant, visibility, currency, price
--   bucket bounds). index.search_products fills it on a miss and reads it on a hit.
-- * Any change of index.products that can move a count (insert / delete / truncate, or an update of status,
--   has_stock, category_ids, tag_slugs or prices; only the read-model rebuild path writes there) deletes the
--   changed tenants' cache rows, in a statement-level trigger (one delete per
--   statement, nothing per row; an upsert that changes nothing has empty transition tables).
-- * The page items of an unfiltered browse are read in sort order from an index (newest: products_created_idx
--   for the public, products_newest_idx (new) for staff) instead of sorting the tenant's rows.
--
-- Race between a fill and an invalidation: a filler (read committed only) takes the per-tenant advisory lock
-- index._facet_cache_lock_key(tenant) EXCLUSIVELY with try-lock before it takes the snapshot it counts with, and
-- holds it until commit; an invalidating transaction takes it SHARED (invalidations never wait for each other)
-- and deletes afterwards. So a fill either sees the committed change, or finishes and commits before the
-- invalidation deletes, or is skipped (lock busy: the page is computed without the cache). A stale row can
-- never survive. Names of categories and tags are joined at read time (as before), so renames show at once.
-- Documentation: docs/index.md.

-- ---------------------------------------------------------------- table
create table index.facet_cache (
    tenant_id           uuid not null references core.tenants (id) on delete cascade,
    include_unpublished boolean not null,
    currency_code       text not null,
    bounds              bigint[] not null,
    total               bigint not null,
    counts              jsonb not null,
    filled_at           timestamptz not null default now(),
    primary key (tenant_id, include_unpublished, currency_code, bounds)
);
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

alter table index.facet_cache enable row level security;
create policy tenant_isolation on index.facet_cache to rustok_app
    using (tenant_id = core.current_tenant_id())
    with check (tenant_id = core.current_tenant_id());
create policy analyst_read on index.facet_cache for select to rustok_analyst using (true);
-- rustok_app runs index.search_products (security invoker, RLS applies) and fills its own tenant's rows
grant select, insert on index.facet_cache to rustok_app;
grant select on index.facet_cache to rustok_analyst;

-- staff browse (every status), newest first, straight from an index
create index products_newest_idx on index.products (tenant_id, created_at desc, product_id desc);

-- ---------------------------------------------------------------- invalidation
create function index._facet_cache_lock_key(p_tenant_id uuid) returns bigint
    language sql immutable parallel safe
as $$ select pg_catalog.hashtextextended('index/facet_cache/' || p_tenant_id::text, 0) $$;
comment on function index._facet_cache_lock_key(uuid) is
    'Internal: the advisory lock key that orders a facet cache fill (exclusive, try) against invalidations (shared) of a tenant.';

create function index._facet_cache_invalidate(p_tenant_ids uuid[]) returns void
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

create function index.tg_products__facet_cache() returns trigger
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

create function index.tg_products__facet_cache_truncate() returns trigger
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

create trigger _900_facet_cache_invalidate_ins after insert on index.products
    referencing new table as new_rows for each statement execute function index.tg_products__facet_cache();
create trigger _900_facet_cache_invalidate_upd after update on index.products
    referencing old table as old_rows new table as new_rows for each statement execute function index.tg_products__facet_cache();
create trigger _900_facet_cache_invalidate_del after delete on index.products
    referencing old table as old_rows for each statement execute function index.tg_products__facet_cache();
create trigger _900_facet_cache_invalidate_trunc after truncate on index.products
    for each statement execute function index.tg_products__facet_cache_truncate();

-- ---------------------------------------------------------------- counting and filling
create function index._browse_counts(
    p_tenant_id uuid, p_include_unpublished boolean, p_currency text, p_bounds bigint[]
) returns jsonb
    language sql stable
as $$
    -- the same counts as index._product_page with no query and no filters, without names
    with m as materialized (
        select p.has_stock, p.category_ids, p.tag_slugs, (p.prices -> p_currency ->> 'min')::bigint as min_amount
        from index.products p
        where p.tenant_id = p_tenant_id
          and (p_include_unpublished or p.status = 'published')
    ),
    cats as (
        select x.id, count(*) as n from m cross join lateral unnest(m.category_ids) as x (id)
        group by x.id order by count(*) desc, x.id limit 50
    ),
    tags as (
        select x.slug, count(*) as n from m cross join lateral unnest(m.tag_slugs) as x (slug)
        group by x.slug order by count(*) desc, x.slug limit 50
    )
    select jsonb_build_object(
        'total', (select count(*) from m),
        'categories', coalesce((select jsonb_agg(jsonb_build_object('id', c.id, 'n', c.n)) from cats c), '[]'),
        'tags', coalesce((select jsonb_agg(jsonb_build_object('slug', t.slug, 'n', t.n)) from tags t), '[]'),
        'priceBuckets', case when p_currency is null then '[]'::jsonb else coalesce((
            select jsonb_agg(jsonb_build_object('min', p_bounds[x.b], 'max', p_bounds[x.b + 1], 'count', x.n) order by x.b)
            from (select width_bucket(m.min_amount, p_bounds) as b, count(*) as n
                  from m where m.min_amount is not null group by 1) x
            where x.b >= 1), '[]') end,
        'inStock', jsonb_build_object(
            'true', (select count(*) from m where m.has_stock),
            'false', (select count(*) from m where not m.has_stock)))
$$;
comment on function index._browse_counts(uuid, boolean, text, bigint[]) is
    'Internal: total and facet counts (without names) of every product of a tenant visible to the caller: one scan '
    'of the tenant''s rows. What index.facet_cache stores.';

create function index._browse_facets(
    p_tenant_id uuid, p_include_unpublished boolean, p_currency text, p_bounds bigint[]
) returns jsonb
    language plpgsql volatile
as $$
declare
    v_counts jsonb;
    v_fill   boolean;
begin
    select c.counts || jsonb_build_object('total', c.total) into v_counts
    from index.facet_cache c
    where c.tenant_id = p_tenant_id and c.include_unpublished = p_include_unpublished
      and c.currency_code = coalesce(p_currency, '') and c.bounds = p_bounds;
    if found then
        return v_counts;
    end if;

    -- fill only where it is safe: read committed (each statement below takes a new snapshot, after the lock),
    -- a writable transaction, a role that may insert, and counts that are the tenant's own (not hidden by RLS)
    v_fill := pg_catalog.current_setting('transaction_isolation') = 'read committed'
          and pg_catalog.current_setting('transaction_read_only') = 'off'
          and pg_catalog.has_table_privilege('index.facet_cache', 'INSERT')
          and (not pg_catalog.row_security_active('index.products')
               or core.current_tenant_id() is not distinct from p_tenant_id)
          and (select count(*) from index.facet_cache c where c.tenant_id = p_tenant_id) < 32;
    if v_fill then
        -- exclusive, not waiting: busy means an invalidating transaction is in flight; then count without caching
        v_fill := pg_catalog.pg_try_advisory_xact_lock(index._facet_cache_lock_key(p_tenant_id));
    end if;

    v_counts := index._browse_counts(p_tenant_id, p_include_unpublished, p_currency, p_bounds);

    if v_fill then
        insert into index.facet_cache (tenant_id, include_unpublished, currency_code, bounds, total, counts)
        values (p_tenant_id, p_include_unpublished, coalesce(p_currency, ''), p_bounds,
                (v_counts ->> 'total')::bigint, v_counts - 'total')
        on conflict do nothing;
    end if;
    return v_counts;
end
$$;
comment on function index._browse_facets(uuid, boolean, text, bigint[]) is
    'Internal: the unfiltered total and facet counts of a tenant from index.facet_cache, counted (index._browse_counts) '
    'and stored on a miss when safe (read committed, writable, own tenant; per-tenant try-lock against invalidations).';

create function index._product_browse(
    p_tenant_id uuid, p_sort text, p_limit integer, p_offset integer,
    p_currency text, p_include_unpublished boolean, p_bounds bigint[]
) returns jsonb
    language plpgsql volatile
as $$
declare
    v_ids    uuid[];
    v_counts jsonb;
begin
    -- the page in sort order straight from an index (same order and ties as index._product_page)
    if p_sort in ('newest', 'relevance') then            -- relevance without a query: every rank is 0, so newest
        if p_include_unpublished then
            v_ids := array(select p.product_id from index.products p where p.tenant_id = p_tenant_id
                           order by p.created_at desc, p.product_id desc limit p_limit offset p_offset);
        else
            v_ids := array(select p.product_id from index.products p where p.tenant_id = p_tenant_id and p.status = 'published'
                           order by p.created_at desc, p.product_id desc limit p_limit offset p_offset);
        end if;
    elsif p_sort = 'title_asc' then
        v_ids := array(select p.product_id from index.products p
                       where p.tenant_id = p_tenant_id and (p_include_unpublished or p.status = 'published')
                       order by p.title asc, p.created_at desc, p.product_id desc limit p_limit offset p_offset);
    elsif p_sort = 'title_desc' then
        v_ids := array(select p.product_id from index.products p
                       where p.tenant_id = p_tenant_id and (p_include_unpublished or p.status = 'published')
                       order by p.title desc, p.created_at desc, p.product_id desc limit p_limit offset p_offset);
    elsif p_sort = 'price_asc' then
        v_ids := array(select p.product_id from index.products p
                       where p.tenant_id = p_tenant_id and (p_include_unpublished or p.status = 'published')
                       order by (p.prices -> p_currency ->> 'min')::bigint asc nulls last, p.created_at desc, p.product_id desc
                       limit p_limit offset p_offset);
    elsif p_sort = 'price_desc' then
        v_ids := array(select p.product_id from index.products p
                       where p.tenant_id = p_tenant_id and (p_include_unpublished or p.status = 'published')
                       order by (p.prices -> p_currency ->> 'max')::bigint desc nulls last, p.created_at desc, p.product_id desc
                       limit p_limit offset p_offset);
    else
        raise exception 'p_sort: unknown sort %', p_sort using errcode = 'invalid_parameter_value';
    end if;

    v_counts := index._browse_facets(p_tenant_id, p_include_unpublished, p_currency, p_bounds);

    return jsonb_build_object(
        'total', (v_counts ->> 'total')::bigint,
        'limit', p_limit,
        'offset', p_offset,
        'items', coalesce((
            select jsonb_agg(jsonb_build_object(
                'id', p.product_id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle, 'status', p.status,
                'price', case when (p.prices -> p_currency ->> 'min') is not null then jsonb_build_object(
                            'currencyCode', p_currency, 'min', (p.prices -> p_currency ->> 'min')::bigint,
                            'max', (p.prices -> p_currency ->> 'max')::bigint) end,
                'prices', p.prices, 'currencies', p.currencies, 'inStock', p.has_stock, 'totalStock', p.total_stock,
                'variantCount', p.variant_count, 'categories', p.categories,
                'tags', (select coalesce(jsonb_agg(jsonb_build_object('slug', s, 'name', n) order by s), '[]')
                         from unnest(p.tag_slugs, p.tags) as t (s, n)),
                'rank', null::numeric,
                'createdAt', p.created_at, 'updatedAt', p.updated_at)
                order by g.ord)
            from unnest(v_ids) with ordinality as g (product_id, ord)
            join index.products p on p.tenant_id = p_tenant_id and p.product_id = g.product_id), '[]'),
        'facets', jsonb_build_object(
            'categories', coalesce((
                select jsonb_agg(jsonb_build_object('id', c.id, 'handle', c.handle, 'name', c.name, 'count', x.n)
                                 order by x.n desc, c.name)
                from jsonb_to_recordset(v_counts -> 'categories') as x (id uuid, n bigint)
                join commerce.categories c on c.tenant_id = p_tenant_id and c.id = x.id), '[]'),
            'tags', coalesce((
                select jsonb_agg(jsonb_build_object('slug', x.slug, 'name', t.name, 'count', x.n) order by x.n desc, x.slug)
                from jsonb_to_recordset(v_counts -> 'tags') as x (slug text, n bigint)
                join content.tags t on t.tenant_id = p_tenant_id and t.slug = x.slug), '[]'),
            'priceBuckets', v_counts -> 'priceBuckets',
            'inStock', v_counts -> 'inStock'));
end
$$;
comment on function index._product_browse(uuid, text, integer, integer, text, boolean, bigint[]) is
    'Internal: the unfiltered product listing page (no query, no filters): items read in sort order from an index, '
    'total and facets from index.facet_cache (index._browse_facets). Same result as index._product_page.';

-- ---------------------------------------------------------------- search_products: unfiltered pages use the cache
create or replace function index.search_products(
    p_tenant_id            uuid,
    p_query                text default null,
    p_filters              jsonb default '{}',
    p_sort                 text default null,
    p_limit                integer default 20,
    p_offset               integer default 0,
    p_currency             text default null,
    p_include_unpublished  boolean default false
) returns jsonb
    language plpgsql volatile
as $$
declare
    v_cfg       regconfig := index._tsconfig(p_tenant_id);
    v_q         tsquery;
    v_sort      text;
    v_bounds    bigint[];
    v_result    jsonb;
    v_corrected text;
begin
    perform index._check_page(p_filters,
        array['categoryIds', 'categoryHandles', 'tags', 'priceMin', 'priceMax', 'inStock', 'status', 'priceBuckets'],
        p_limit, p_offset);
    if p_currency is not null and p_currency !~ '^[A-Z]{3}$' then
        raise exception 'p_currency: must be an ISO 4217 code like EUR (got %)', p_currency using errcode = 'invalid_parameter_value';
    end if;
    v_q := index._query(p_tenant_id, v_cfg, p_query);
    v_sort := coalesce(p_sort, case when numnode(v_q) > 0 then 'relevance' else 'newest' end);
    if v_sort not in ('relevance', 'newest', 'price_asc', 'price_desc', 'title_asc', 'title_desc') then
        raise exception 'p_sort: must be relevance, newest, price_asc, price_desc, title_asc or title_desc (got %)', v_sort
            using errcode = 'invalid_parameter_value';
    end if;
    if v_sort in ('price_asc', 'price_desc') and p_currency is null then
        raise exception 'p_currency: required to sort by price' using errcode = 'invalid_parameter_value';
    end if;
    if p_filters ? 'priceBuckets' then
        if jsonb_typeof(p_filters -> 'priceBuckets') <> 'array' or jsonb_array_length(p_filters -> 'priceBuckets') not between 1 and 50 then
            raise exception 'p_filters.priceBuckets: must be an array of 1 to 50 ascending lower bounds (minor units)'
                using errcode = 'invalid_parameter_value';
        end if;
        v_bounds := array(select index._jsonb_bigint(e, 'priceBuckets') from jsonb_array_elements(p_filters -> 'priceBuckets') e);
        if exists (select 1 from generate_subscripts(v_bounds, 1) i where i > 1 and v_bounds[i] <= v_bounds[i - 1]) then
            raise exception 'p_filters.priceBuckets: bounds must be strictly ascending' using errcode = 'invalid_parameter_value';
        end if;
    else
        v_bounds := array[0, 1000, 2500, 5000, 10000, 25000, 50000, 100000]::bigint[];
    end if;

    -- no search text and no filters (price bucket bounds only shape the facets): the browse page, facets cached
    if coalesce(numnode(v_q), 0) = 0 and coalesce(p_filters, '{}') - 'priceBuckets' = '{}'::jsonb
       and coalesce(current_setting('rustok.facet_cache', true), '') is distinct from 'off' then
        v_result := index._product_browse(p_tenant_id, v_sort, p_limit, p_offset, p_currency,
                                          coalesce(p_include_unpublished, false), v_bounds);
        return v_result || jsonb_build_object('query', p_query, 'correctedQuery', null, 'sort', v_sort);
    end if;

    v_result := index._product_page(p_tenant_id, v_q, p_filters, v_sort, p_limit, p_offset, p_currency,
                                    coalesce(p_include_unpublished, false), v_bounds);
    if (v_result ->> 'total')::bigint = 0 and numnode(v_q) > 0 then
        v_corrected := index._correct(p_tenant_id, p_query);
        if v_corrected is not null and v_corrected <> lower(index._unaccent(left(p_query, 256)) collate "pg_c_utf8") then
            v_q := index._query(p_tenant_id, v_cfg, v_corrected);
            if numnode(v_q) > 0 then
                v_result := index._product_page(p_tenant_id, v_q, p_filters, v_sort, p_limit, p_offset, p_currency,
                                                coalesce(p_include_unpublished, false), v_bounds);
                if (v_result ->> 'total')::bigint > 0 then
                    return v_result || jsonb_build_object('query', p_query, 'correctedQuery', v_corrected, 'sort', v_sort);
                end if;
            end if;
        end if;
    end if;
    return v_result || jsonb_build_object('query', p_query, 'correctedQuery', null, 'sort', v_sort);
end
$$;
comment on function index.search_products(uuid, text, jsonb, text, integer, integer, text, boolean) is
    'The storefront product listing in one round trip: {total, limit, offset, query, correctedQuery, sort, items: [...], '
    'facets: {categories, tags, priceBuckets, inStock}}. p_query: any text (websearch syntax, never an error; the last '
    'word also matches as a prefix; on no match a typo-corrected query is tried). p_filters: {categoryIds, '
    'categoryHandles, tags (slugs, any of), priceMin, priceMax (minor units of p_currency, on the lowest price), '
    'inStock, status (staff only), priceBuckets (bucket lower bounds)}. p_sort: relevance (default with a query; '
    'ranks the 5000 newest matches), newest (default), price_asc, price_desc, title_asc, title_desc. p_limit 1-100, '
    'p_offset 0-10000. p_include_unpublished: staff see every status, the public only published. Facets count the '
    'whole filtered result. Without query and filters (browse) the page is read from an index and the total and '
    'facets come from index.facet_cache (filled here on a miss; hence volatile; set rustok.facet_cache = off to '
    'bypass). Bad arguments raise 22023 naming the field.';
