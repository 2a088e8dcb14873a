-- index/reads.sql: one-statement storefront reads for the compiled GraphQL path (rustok.graphql.compiled).
--
-- The API answers a storefront query it can compile with ONE statement on an autocommit connection: no BEGIN,
-- no separate tenant lookup, no COMMIT. These functions resolve the tenant from its slug, set it for the rest of
-- the statement's transaction (so row-level security applies to every read below, as in the ordinary path),
-- and return the rows the compiled SQL turns into the response JSON. They serve anonymous visitors (the
-- public storefront); the API sends anything else through ordinary execution.

create or replace function index._begin_public_read(p_tenant_slug text, p_module text) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid;
begin
    select r.tenant_id into v_tenant from core.resolve_request(p_tenant_slug, null) r;
    if v_tenant is null then
        raise exception 'unknown or inactive tenant %', p_tenant_slug using errcode = 'no_data_found';
    end if;
    -- transaction-local, as the ordinary path sets them (rustok.graphql.db): the statement is the transaction
    perform pg_catalog.set_config('rustok.tenant_id', v_tenant::text, true),
            pg_catalog.set_config('rustok.user_id', '', true),
            pg_catalog.set_config('rustok.actor', 'api', true);
    if not core.module_enabled(v_tenant, p_module) then
        raise exception 'module "%" is disabled for tenant %', p_module, v_tenant
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    return v_tenant;
end
$$;
comment on function index._begin_public_read(text, text) is
    'Internal: start an anonymous storefront read in the current transaction: the active tenant of p_tenant_slug '
    '(P0002 when there is none), set as rustok.tenant_id (transaction-local; row-level security keys on it), and '
    'module p_module enabled for it (55000 otherwise). Returns the tenant id.';
grant execute on function index._begin_public_read(text, text) to rustok_app;

create or replace function index.read_products_page(
    p_tenant_slug text, p_search text, p_filters jsonb, p_sort text, p_currency text,
    p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean, p_want_total boolean, p_want_facets boolean
) returns table (ord bigint, cursor jsonb, rank real,
                 product_id uuid, handle text, title text, subtitle text, description text, status text,
                 discountable boolean, currencies text[], prices jsonb, total_stock bigint, has_stock boolean,
                 variant_count integer, tags text[], tag_slugs text[], seo jsonb, created_at timestamptz,
                 updated_at timestamptz,
                 tsq text, corrected_query text, total integer, total_capped boolean, facets jsonb)
    language plpgsql volatile
    rows 22
as $$
declare
    v_tenant uuid := index._begin_public_read(p_tenant_slug, 'commerce');
    v_q      tsquery;
    v_fix    text;
    v_total  integer;
    v_capped boolean;
    v_facets jsonb;
    v_count  bigint;
    v_listing jsonb;
begin
    -- The landing page (no text, no filters, newest first, paging forwards) is most of a storefront's traffic:
    -- its rows come straight from products_created_idx by static (plan-cached) statements, and its total from
    -- the facet cache (index._browse_facets: the exact count of published products). Everything else takes the
    -- general path below (index.product_query + page_products, dynamic SQL per sort).
    if p_search is null and coalesce(p_filters, '{}') = '{}' and coalesce(p_sort, 'newest') in ('newest', 'relevance')
       and p_before is null and not coalesce(p_from_end, false)
       and (p_currency is null or p_currency ~ '^[A-Z]{3}$') then
        perform index._check_limit(p_limit);
        perform index._cursor_key(p_after, 'newest', 'timestamptz', 'after');
        if p_want_total then
            v_count := (index._browse_facets(v_tenant, false, p_currency,
                                             array[0, 1000, 2500, 5000, 10000, 25000, 50000, 100000]::bigint[]) ->> 'total')::bigint;
            v_total := least(v_count, 10000);
            v_capped := v_count > 10000;
        end if;
        if p_want_facets then
            v_facets := index.search_products(v_tenant, null, '{}', 'newest', 1, 0, p_currency, false) -> 'facets';
        end if;
        return query select 0::bigint, null::jsonb, null::real, null::uuid, null::text, null::text, null::text,
                            null::text, null::text, null::boolean, null::text[], null::jsonb, null::bigint, null::boolean,
                            null::integer, null::text[], null::text[], null::jsonb, null::timestamptz, null::timestamptz,
                            ''::text, null::text, v_total, v_capped, v_facets;
        if p_after is null then
            return query
                select row_number() over (order by p.created_at desc, p.product_id desc),
                       jsonb_build_object('s', 'newest', 'k', jsonb_build_array(p.created_at, p.product_id)), null::real,
                       p.product_id, p.handle, p.title, p.subtitle, p.description, p.status, p.discountable,
                       p.currencies, p.prices, p.total_stock, p.has_stock, p.variant_count, p.tags, p.tag_slugs,
                       p.seo, p.created_at, p.updated_at, null::text, null::text, null::integer, null::boolean, null::jsonb
                from index.products p
                where p.tenant_id = v_tenant and p.status = 'published'
                order by p.created_at desc, p.product_id desc
                limit p_limit + 1;
        else
            return query
                select row_number() over (order by p.created_at desc, p.product_id desc),
                       jsonb_build_object('s', 'newest', 'k', jsonb_build_array(p.created_at, p.product_id)), null::real,
                       p.product_id, p.handle, p.title, p.subtitle, p.description, p.status, p.discountable,
                       p.currencies, p.prices, p.total_stock, p.has_stock, p.variant_count, p.tags, p.tag_slugs,
                       p.seo, p.created_at, p.updated_at, null::text, null::text, null::integer, null::boolean, null::jsonb
                from index.products p
                where p.tenant_id = v_tenant and p.status = 'published'
                  and (p.created_at, p.product_id)
                      < ((p_after -> 'k' ->> 0)::timestamptz, (p_after -> 'k' ->> 1)::uuid)
                order by p.created_at desc, p.product_id desc
                limit p_limit + 1;
        end if;
        return;
    end if;

    select q.q, q.corrected_query into v_q, v_fix
    from index.product_query(v_tenant, p_search, p_filters, p_currency, false) q;
    if p_want_facets then
        -- facets count every match whatever the order: 'newest' spares the relevance ranking of a one-item page;
        -- the same pass counts the matches exactly (same predicates and spelling correction as product_query),
        -- so the total needs no second count
        v_listing := index.search_products(v_tenant, p_search, p_filters, 'newest', 1, 0, p_currency, false);
        v_facets := v_listing -> 'facets';
        v_count := (v_listing ->> 'total')::bigint;
        v_total := least(v_count, 10000);
        v_capped := v_count > 10000;
    elsif p_want_total then
        select c.total, c.capped into v_total, v_capped
        from index.count_products(v_tenant, v_q, p_filters, p_currency, false, 10000) c;
    end if;
    -- row 0: what the listing as a whole says; then the page (up to p_limit + 1 rows, as index.page_products)
    return query select 0::bigint, null::jsonb, null::real, null::uuid, null::text, null::text, null::text,
                        null::text, null::text, null::boolean, null::text[], null::jsonb, null::bigint, null::boolean,
                        null::integer, null::text[], null::text[], null::jsonb, null::timestamptz, null::timestamptz,
                        v_q::text, v_fix, v_total, v_capped, v_facets;
    return query
        select k.ord, k.cursor, k.rank,
               p.product_id, p.handle, p.title, p.subtitle, p.description, p.status, p.discountable,
               p.currencies, p.prices, p.total_stock, p.has_stock, p.variant_count, p.tags, p.tag_slugs,
               p.seo, p.created_at, p.updated_at, null::text, null::text, null::integer, null::boolean, null::jsonb
        from index.page_products(v_tenant, v_q, p_filters, p_sort, p_currency, false, p_after, p_before, p_limit,
                                 p_from_end) with ordinality as k (product_id, cursor, rank, ord)
        join index.products p on p.tenant_id = v_tenant and p.product_id = k.product_id
        order by k.ord;
end
$$;
comment on function index.read_products_page(text, text, jsonb, text, text, jsonb, jsonb, integer, boolean, boolean, boolean) is
    'The public products listing (GraphQL Query.products for an anonymous visitor) in one statement: row 0 carries '
    'the parsed query (tsq), corrected_query, and when asked the total (index.count_products, or for the landing '
    'page the facet cache''s exact count) and the facets (index.search_products); rows 1.. are the page (as '
    'index.page_products: up to p_limit + 1 rows) with the card columns of each product''s read row. The landing '
    'page (no text, no filters, newest, forwards) reads products_created_idx with static statements. Tenant by '
    'slug (index._begin_public_read); arguments and errors as index.product_query / page_products.';
grant execute on function index.read_products_page(text, text, jsonb, text, text, jsonb, jsonb, integer, boolean, boolean, boolean) to rustok_app;

create or replace function index.read_product(p_tenant_slug text, p_id uuid, p_handle text)
    returns setof index.products
    language plpgsql volatile
    rows 1
as $$
declare
    v_tenant uuid := index._begin_public_read(p_tenant_slug, 'commerce');
begin
    if p_id is not null then
        return query select p.* from index.products p
                     where p.tenant_id = v_tenant and p.product_id = p_id and p.status = 'published';
    else
        return query select p.* from index.products p
                     where p.tenant_id = v_tenant and p.handle = p_handle and p.status = 'published'
                     order by p.updated_at desc limit 1;
    end if;
end
$$;
comment on function index.read_product(text, uuid, text) is
    'One published product''s read row by id or by handle (GraphQL Query.product for an anonymous visitor) in one '
    'statement; no row when there is none. Tenant by slug (index._begin_public_read).';
grant execute on function index.read_product(text, uuid, text) to rustok_app;
