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
    if p_module is not null and not core.module_enabled(v_tenant, p_module) then
        raise exception 'module "%" is disabled for tenant %', p_module, v_tenant
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    return v_tenant;
end
$$;
comment on function index._begin_public_read(text, text) is
    'Internal: start an anonymous storefront read in the current transaction: the active tenant of p_tenant_slug '
    '(P0002 when there is none), set as rustok.tenant_id (transaction-local; row-level security keys on it), and '
    'module p_module enabled for it (55000 otherwise; null for a read of no one module, such as the unified search). '
    'Returns the tenant id.';
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
    -- definer: its one-pass search must use the text index, which row-level security would forbid (@@ is not
    -- leakproof). It reads only the tenant of p_tenant_slug (public, as the X-Tenant header is) and only
    -- published products: what any anonymous visitor of that storefront may see.
    security definer set search_path = pg_catalog, pg_temp
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
    v_rows   bigint;
    v_bounds bigint[];
    v_seqscan text;
    -- the one-pass search with facets (below); $9 the corrected text, $10 whether to answer when nothing matched
    v_one_pass constant text := $sql$
            with m as materialized (
                select p.product_id, p.created_at, p.has_stock, p.category_ids, p.tag_slugs,
                       (p.min_prices ->> $4)::bigint as min_amount,
                       case when $8 = 'relevance' then pg_catalog.ts_rank(p.search_vector, $2) end as rank
                from index._product_search_matches($1, $2, $3, $4) p
            ),
            cats as (
                select x.id, count(*) as n from (select unnest(m.category_ids) as id from m) x
                group by x.id order by count(*) desc, x.id limit 50
            ),
            tags as (
                select x.slug, count(*) as n from (select unnest(m.tag_slugs) as slug from m) x
                group by x.slug order by count(*) desc, x.slug limit 50
            ),
            page as (
                select m.product_id, m.rank, m.created_at
                from m
                where $5 is null
                   or ($8 = 'relevance' and (m.rank, m.product_id) < (($5 -> 'k' ->> 0)::real, ($5 -> 'k' ->> 1)::uuid))
                   or ($8 = 'newest' and (m.created_at, m.product_id)
                                         < (($5 -> 'k' ->> 0)::timestamptz, ($5 -> 'k' ->> 1)::uuid))
                order by case when $8 = 'relevance' then m.rank end desc,
                         case when $8 = 'newest' then m.created_at end desc, m.product_id desc
                limit $6 + 1
            ),
            counted as (select count(*) as total from m)
            select 0::bigint, null::jsonb, null::real, null::uuid, null::text, null::text, null::text,
                   null::text, null::text, null::boolean, null::text[], null::jsonb, null::bigint, null::boolean,
                   null::integer, null::text[], null::text[], null::jsonb, null::timestamptz, null::timestamptz,
                   $2::text, $9, least(c.total, 10000)::integer, c.total > 10000,
                   jsonb_build_object(
                       'categories', coalesce((
                           select jsonb_agg(jsonb_build_object('id', ct.id, 'handle', ct.handle, 'name', ct.name, 'count', x.n)
                                            order by x.n desc, ct.name)
                           from cats x join commerce.categories ct on ct.tenant_id = $1 and ct.id = x.id), '[]'),
                       'tags', coalesce((
                           select jsonb_agg(jsonb_build_object('slug', x.slug, 'name', t.name, 'count', x.n)
                                            order by x.n desc, x.slug)
                           from tags x join content.tags t on t.tenant_id = $1 and t.slug = x.slug), '[]'),
                       'priceBuckets', case when $4 is null then '[]'::jsonb else coalesce((
                           select jsonb_agg(jsonb_build_object('min', $7[x.b], 'max', $7[x.b + 1], 'count', x.n) order by x.b)
                           from (select pg_catalog.width_bucket(m.min_amount, $7) as b, count(*) as n
                                 from m where m.min_amount is not null group by 1) x
                           where x.b >= 1), '[]') end,
                       'inStock', jsonb_build_object(
                           'true', (select count(*) from m where m.has_stock),
                           'false', (select count(*) from m where not m.has_stock)))
            from counted c
            where c.total > 0 or $10   -- no row at all: nothing matched (the caller may correct the text)
            union all
            select (row_number() over (order by case when $8 = 'relevance' then g.rank end desc,
                                                case when $8 = 'newest' then g.created_at end desc, g.product_id desc)),
                   jsonb_build_object('s', $8, 'k', jsonb_build_array(
                       case when $8 = 'relevance' then to_jsonb(g.rank) else to_jsonb(g.created_at) end, g.product_id)),
                   coalesce(g.rank, pg_catalog.ts_rank(p.search_vector, $2)),
                   p.product_id, p.handle, p.title, p.subtitle, p.description, p.status, p.discountable,
                   p.currencies, p.prices, p.total_stock, p.has_stock, p.variant_count, p.tags, p.tag_slugs,
                   p.seo, p.created_at, p.updated_at, null::text, null::text, null::integer, null::boolean, null::jsonb
            from page g
            join index.products p on p.tenant_id = $1 and p.product_id = g.product_id
$sql$;
begin
    -- The landing page (no text, no filters but the price buckets' bounds, newest first, paging forwards) is most
    -- of a storefront's traffic:
    -- its rows come straight from products_created_idx by static (plan-cached) statements, and its total from
    -- the facet cache (index._browse_facets: the exact count of published products). Everything else takes the
    -- general path below (index.product_query + page_products, dynamic SQL per sort).
    if p_search is null and coalesce(p_filters, '{}') - 'priceBuckets' = '{}' and coalesce(p_sort, 'newest') in ('newest', 'relevance')
       and p_before is null and not coalesce(p_from_end, false)
       and (p_currency is null or p_currency ~ '^[A-Z]{3}$') then
        perform index._check_limit(p_limit);
        perform index._cursor_key(p_after, 'newest', 'timestamptz', 'after');
        if p_want_facets then   -- the facets and the total from one read of the facet cache
            v_listing := index.search_products(v_tenant, null, coalesce(p_filters, '{}'), 'newest', 1, 0, p_currency, false);
            v_facets := v_listing -> 'facets';
            v_count := (v_listing ->> 'total')::bigint;
        elsif p_want_total then
            v_count := (index._browse_facets(v_tenant, false, p_currency, index._price_bucket_bounds(null)) ->> 'total')::bigint;
        end if;
        v_total := least(v_count, 10000);
        v_capped := v_count > 10000;
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

    -- A search with facets, first pages forwards (relevance or newest): ONE pass over the matches' narrow search
    -- rows (index.product_search) gives the page, the exact total and the facets; the display rows are read for
    -- the page only (the two-pass way below reads every match's display row twice: the facets pass of
    -- index.search_products and the page of index.page_products). Same results as those two, which the tests
    -- check byte for byte through the ordinary path. Dynamic SQL so that each call is planned with its values
    -- (the optional filters then drop out and the GIN index serves the text). The text is parsed without
    -- product_query's test for a first match (a second bitmap scan of the same index): the pass itself tells
    -- when nothing matched, and only then is the spelling correction tried and the pass run again.
    if p_want_facets and coalesce(p_sort, 'relevance') in ('relevance', 'newest')
       and p_before is null and not coalesce(p_from_end, false)
       and not (coalesce(p_filters, '{}') ? 'categoryIds' and coalesce(p_filters, '{}') ? 'categoryHandles') then
        v_q := index._product_query_text(v_tenant, p_search, p_filters, p_currency, false);
        v_bounds := index._price_bucket_bounds(p_filters);
        if numnode(v_q) > 0 then
            perform index._check_limit(p_limit);
            perform index._cursor_key(p_after, coalesce(p_sort, 'relevance'),
                                      case when coalesce(p_sort, 'relevance') = 'relevance' then 'real' else 'timestamptz' end,
                                      'after');
            -- the narrow search rows are small enough that the planner would rather filter all of a tenant's
            -- than use the text index for a few hundred matches (it underestimates the cost of @@ per row: 10x
            -- slower here); for this statement only (the general path below plans price filters better with it)
            v_seqscan := pg_catalog.current_setting('enable_seqscan');
            perform pg_catalog.set_config('enable_seqscan', 'off', true);
            return query execute v_one_pass
                using v_tenant, v_q, coalesce(p_filters, '{}'::jsonb), p_currency, p_after, p_limit,
                      v_bounds, coalesce(p_sort, 'relevance'),
                      null::text, false;
            get diagnostics v_rows = row_count;
            perform pg_catalog.set_config('enable_seqscan', v_seqscan, true);
            if v_rows > 0 then
                return;
            end if;
            -- nothing matched as typed: the corrected text if that matches (else the text as typed), again
            select q.q, q.corrected_query into v_q, v_fix
            from index.product_query(v_tenant, p_search, p_filters, p_currency, false) q;
            perform pg_catalog.set_config('enable_seqscan', 'off', true);
            return query execute v_one_pass
                using v_tenant, v_q, coalesce(p_filters, '{}'::jsonb), p_currency, p_after, p_limit,
                      v_bounds, coalesce(p_sort, 'relevance'),
                      v_fix, true;
            perform pg_catalog.set_config('enable_seqscan', v_seqscan, true);
            return;
        end if;
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
    'slug (index._begin_public_read); arguments and errors as index.product_query / page_products. Security '
    'definer: only published products of the tenant named by its public slug.';
revoke all on function index.read_products_page(text, text, jsonb, text, text, jsonb, jsonb, integer, boolean, boolean, boolean) from public;
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

create or replace function index.read_content_page(
    p_tenant_slug text, p_search text, p_filters jsonb, p_sort text,
    p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean, p_want_total boolean, p_want_body boolean
) returns table (ord bigint, cursor jsonb, rank real,
                 node_id uuid, kind text, title text, slug text, excerpt text, body_preview text, body_format text,
                 status text, author_id uuid, author_name text, tags text[], tag_slugs text[], reply_count integer,
                 seo jsonb, published_at timestamptz, created_at timestamptz, updated_at timestamptz, body text,
                 tsq text, corrected_query text, total integer, total_capped boolean)
    language plpgsql volatile
    rows 22
as $$
declare
    v_tenant uuid := index._begin_public_read(p_tenant_slug, 'content');
    v_q      tsquery;
    v_fix    text;
    v_total  integer;
    v_capped boolean;
begin
    select q.q, q.corrected_query into v_q, v_fix
    from index.content_query(v_tenant, p_search, p_filters, false) q;
    if p_want_total then
        select c.total, c.capped into v_total, v_capped
        from index.count_content(v_tenant, v_q, p_filters, false, 10000) c;
    end if;
    -- row 0: what the listing as a whole says; then the page (up to p_limit + 1 rows, as index.page_content)
    return query select 0::bigint, null::jsonb, null::real, null::uuid, null::text, null::text, null::text, null::text,
                        null::text, null::text, null::text, null::uuid, null::text, null::text[], null::text[],
                        null::integer, null::jsonb, null::timestamptz, null::timestamptz, null::timestamptz, null::text,
                        v_q::text, v_fix, v_total, v_capped;
    return query
        select k.ord, k.cursor, k.rank, c.node_id, c.kind, c.title, c.slug, c.excerpt, c.body_preview, c.body_format,
               c.status, c.author_id, c.author_name, c.tags, c.tag_slugs, c.reply_count, c.seo, c.published_at,
               c.created_at, c.updated_at,
               case when p_want_body then (select b.body from content.bodies b
                                           where b.tenant_id = v_tenant and b.node_id = c.node_id) end,
               null::text, null::text, null::integer, null::boolean
        from index.page_content(v_tenant, v_q, p_filters, p_sort, false, p_after, p_before, p_limit, p_from_end)
             with ordinality as k (node_id, cursor, rank, ord)
        join index.content c on c.tenant_id = v_tenant and c.node_id = k.node_id
        order by k.ord;
end
$$;
comment on function index.read_content_page(text, text, jsonb, text, jsonb, jsonb, integer, boolean, boolean, boolean) is
    'The public content listing (GraphQL Query.contents for an anonymous visitor) in one statement: row 0 carries the '
    'parsed query (tsq), corrected_query and, when asked, the total (index.count_content); rows 1.. are the page of '
    'index.page_content with each node''s read columns (and its body when p_want_body). Tenant by slug '
    '(index._begin_public_read, module content); arguments and errors as index.content_query / page_content.';
grant execute on function index.read_content_page(text, text, jsonb, text, jsonb, jsonb, integer, boolean, boolean, boolean) to rustok_app;

create or replace function index.read_content(p_tenant_slug text, p_id uuid, p_kind text, p_slug text, p_want_body boolean)
    returns table (node_id uuid, kind text, title text, slug text, excerpt text, body_preview text, body_format text,
                   status text, author_id uuid, author_name text, tags text[], tag_slugs text[], reply_count integer,
                   seo jsonb, published_at timestamptz, created_at timestamptz, updated_at timestamptz, body text)
    language plpgsql volatile
    rows 1
as $$
declare
    v_tenant uuid := index._begin_public_read(p_tenant_slug, 'content');
begin
    return query
        select c.node_id, c.kind, c.title, c.slug, c.excerpt, c.body_preview, c.body_format, c.status, c.author_id,
               c.author_name, c.tags, c.tag_slugs, c.reply_count, c.seo, c.published_at, c.created_at, c.updated_at,
               case when p_want_body then (select b.body from content.bodies b
                                           where b.tenant_id = v_tenant and b.node_id = c.node_id) end
        from index.content c
        where c.tenant_id = v_tenant
          and (case when p_id is not null then c.node_id = p_id else c.kind = p_kind and c.slug = p_slug end)
          and c.status in ('published', 'approved') and c.published_at <= now()
        limit 1;
end
$$;
comment on function index.read_content(text, uuid, text, text, boolean) is
    'One visible page, post or comment by id, or by kind and slug (GraphQL Query.content for an anonymous visitor) in '
    'one statement, with its body when p_want_body; no row when there is none. Tenant by slug '
    '(index._begin_public_read, module content).';
grant execute on function index.read_content(text, uuid, text, text, boolean) to rustok_app;

create or replace function index.read_search_page(
    p_tenant_slug text, p_query text, p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean
) returns table (ord bigint, id uuid, type text, cursor jsonb, corrected_query text)
    language plpgsql volatile
    rows 22
as $$
declare
    v_tenant uuid := index._begin_public_read(p_tenant_slug, null);
    v_fix    text := index.search_correction(v_tenant, p_query, false);
begin
    -- row 0: the spelling correction (null when the text as typed finds something); then the page for the text used
    return query select 0::bigint, null::uuid, null::text, null::jsonb, v_fix;
    return query
        select k.ord, k.id, k.type, k.cursor, null::text
        from index.page_search(v_tenant, coalesce(v_fix, p_query), false, p_after, p_before, p_limit, p_from_end)
             with ordinality as k (id, type, cursor, rank, ord)
        order by k.ord;
end
$$;
comment on function index.read_search_page(text, text, jsonb, jsonb, integer, boolean) is
    'The unified storefront search (GraphQL Query.search for an anonymous visitor) in one statement: row 0 carries '
    'the spelling correction (index.search_correction), rows 1.. the page of index.page_search for the text used '
    '(up to p_limit + 1 rows, ids and types: the compiled SQL builds each product or page/post from its read row). '
    'Tenant by slug (index._begin_public_read, no module: a module turned off contributes nothing).';
grant execute on function index.read_search_page(text, text, jsonb, jsonb, integer, boolean) to rustok_app;
