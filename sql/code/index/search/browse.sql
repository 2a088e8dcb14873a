-- index/search/browse.sql: the unfiltered browse page (landing page) from the facet cache.

-- ---------------------------------------------------------------- counting and filling
create or replace function index._browse_counts(
    p_tenant_id uuid, p_include_unpublished boolean, p_currency text, p_bounds bigint[]
) returns jsonb
    language sql stable
as $$
    -- the same counts as index._product_page with no query and no filters, without names
    with m as materialized (
        select p.has_stock, p.category_ids, p.tag_slugs, (p.min_prices ->> p_currency)::bigint as min_amount
        from index.product_search p   -- the narrow rows: a quarter of the pages of index.products
        where p.tenant_id = p_tenant_id
          and (p_include_unpublished or p.status = 'published')
    ),
    cats as (
        select x.id, count(*) as n from (select unnest(m.category_ids) as id from m) x
        group by x.id order by count(*) desc, x.id limit 50
    ),
    tags as (
        select x.slug, count(*) as n from (select unnest(m.tag_slugs) as slug from m) x
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

create or replace function index._browse_facets(
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

    if p_include_unpublished then
        v_counts := index._browse_counts(p_tenant_id, p_include_unpublished, p_currency, p_bounds);
    else
        -- the public counts: from their kept tally (index.search_tallies: writes update it by deltas, where they
        -- empty this cache), counted and kept when there is none (under the lock just taken)
        v_counts := index._search_tally_browse(p_tenant_id, p_currency, p_bounds, v_fill);
    end if;

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
    'Internal: the unfiltered total and facet counts of a tenant from index.facet_cache; on a miss from the kept tally '
    'of the public listing (index._search_tally_browse) or for staff counted (index._browse_counts), and stored when '
    'safe (read committed, writable, own tenant; per-tenant try-lock against invalidations).';

create or replace function index._product_browse(
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

    return index._product_page_json(p_tenant_id, v_ids, null, v_counts, p_limit, p_offset, p_currency);
end
$$;
comment on function index._product_browse(uuid, text, integer, integer, text, boolean, bigint[]) is
    'Internal: the unfiltered product listing page (no query, no filters): items read in sort order from an index, '
    'total and facets from index.facet_cache (index._browse_facets). Same result as index._product_page.';
