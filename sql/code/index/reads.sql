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

create or replace function index._product_search_source(p_has_q boolean) returns text
    language sql immutable parallel safe
as $$
    select case when p_has_q then
        -- the text's matches through the GIN index of the search rows
        'index._product_search_matches($1, $2, $3, $4) p'
    else
        -- no text, a price range (the caller checks): the range of the price btree (tenant, currency, lowest
        -- price), each match's search row by its key; the same predicates as index._product_matches
        $src$index.product_prices pp
                join index.product_search p on p.tenant_id = $1 and p.product_id = pp.product_id
                where pp.tenant_id = $1 and pp.currency_code = $4
                  and ($3 -> 'priceMin' is null or pp.min_amount >= index._jsonb_bigint($3 -> 'priceMin', 'priceMin'))
                  and ($3 -> 'priceMax' is null or pp.min_amount <= index._jsonb_bigint($3 -> 'priceMax', 'priceMax'))
                  and p.status = 'published'
                  and ($3 -> 'categoryIds' is null
                       or p.category_ids && index._jsonb_uuids($3 -> 'categoryIds', 'categoryIds'))
                  and ($3 -> 'categoryHandles' is null
                       or p.category_ids && array(select c.id from commerce.categories c
                                                  where c.tenant_id = $1
                                                    and c.handle = any (index._jsonb_texts($3 -> 'categoryHandles', 'categoryHandles'))))
                  and ($3 -> 'tags' is null or p.tag_slugs && index._jsonb_texts($3 -> 'tags', 'tags'))
                  and ($3 ->> 'inStock' is null or p.has_stock = ($3 ->> 'inStock')::boolean)$src$
    end
$$;
comment on function index._product_search_source(boolean) is
    'Internal: the FROM clause of the one-pass listing (index._product_search_pass, index._search_tally_compute) over '
    'the matches'' search rows p, with $1 tenant, $2 tsquery, $3 filters, $4 currency: the text''s matches through '
    'the GIN index (p_has_q), else a price range through index.product_prices'' btree.';

create or replace function index._product_search_pass(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_after jsonb, p_limit integer,
    p_bounds bigint[], p_sort text
) returns jsonb
    language plpgsql volatile
as $$
declare
    v_has_q   boolean := numnode(p_q) > 0;
    v_inputs  jsonb := jsonb_build_array('one-pass', p_q::text, p_filters, p_currency, p_after, p_limit, p_sort);
    v_result  jsonb := index._search_cache_get(p_tenant_id, v_inputs);
    v_fill    boolean;
    v_started timestamptz;
    v_seqscan text;
    v_hashjoin text := pg_catalog.current_setting('enable_hashjoin');
    v_mergejoin text := pg_catalog.current_setting('enable_mergejoin');
    v_source  text;
    v_key     text;
    v_desc    boolean;
begin
    if v_result is not null then
        return v_result;
    end if;
    v_source := index._product_search_source(v_has_q);
    -- the order of index.page_products for each sort (its key, then the id in the same direction)
    case p_sort
        when 'relevance' then v_key := 'm.rank'; v_desc := true;
        when 'newest' then v_key := 'm.created_at'; v_desc := true;
        when 'price_asc' then v_key := 'coalesce(m.min_amount, 9223372036854775807)'; v_desc := false;
        when 'price_desc' then v_key := 'coalesce(m.max_amount, -1)'; v_desc := true;
    end case;
    v_fill := index._search_cache_may_fill(p_tenant_id);   -- before the snapshot the pass reads with
    v_started := pg_catalog.clock_timestamp();
    -- the listing's kept tally (index.search_tallies: kept exact by deltas through writes), computed and kept now
    -- when there is none; only sorts it keeps an order for, and filters with values (as the price path asks)
    if p_sort in ('relevance', 'newest', 'price_asc')
       and coalesce(pg_catalog.current_setting('rustok.facet_cache', true), '') is distinct from 'off'
       and not exists (select from jsonb_each(p_filters) e where jsonb_typeof(e.value) = 'null') then
        v_result := index._search_tally_get(p_tenant_id, p_q, p_filters, p_currency, p_after, p_limit, p_bounds,
                                            p_sort, v_fill);
        if v_result is not null then
            if v_fill then
                perform index._search_cache_put(p_tenant_id, v_inputs, v_result, v_started);
            end if;
            return v_result;
        end if;
    end if;
    -- the narrow search rows are small enough that the planner would rather filter all of a tenant's than use the
    -- text index for a few hundred matches (it underestimates the cost of @@ per row: 10x slower here); for this
    -- statement only (the general path of index.read_products_page plans price filters better with it)
    v_seqscan := pg_catalog.current_setting('enable_seqscan');
    perform pg_catalog.set_config('enable_seqscan', 'off', true);
    if not v_has_q then
        -- and it would rather hash every search row of the tenant than look up a few thousand by their key
        perform pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    end if;
    -- dynamic SQL, so that each call is planned with its values (the optional filters then drop out and the
    -- indexes serve the text or the price range); built from the fixed fragments above only
    execute format($sql$
            with m as materialized (
                select p.product_id, p.created_at, p.has_stock, p.category_ids, p.tag_slugs,
                       (p.min_prices ->> $4)::bigint as min_amount, %3$s as max_amount,
                       case when $8 = 'relevance' then pg_catalog.ts_rank(p.search_vector, $2) end as rank
                from %1$s
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
                select m.product_id, m.rank, %2$s as key,
                       row_number() over (order by %2$s %4$s, m.product_id %4$s) as ord
                from m
                where $5 is null or (%2$s, m.product_id) %5$s (($5 -> 'k' ->> 0)::%6$s, ($5 -> 'k' ->> 1)::uuid)
                order by %2$s %4$s, m.product_id %4$s
                limit $6 + 1
            ),
            counted as (select count(*) as total from m)
            select jsonb_build_object(
                       'total', least(c.total, 10000), 'capped', c.total > 10000,
                       'counts', jsonb_build_object(
                           'categories', coalesce((select jsonb_agg(jsonb_build_object('id', x.id, 'n', x.n)) from cats x), '[]'),
                           'tags', coalesce((select jsonb_agg(jsonb_build_object('slug', x.slug, 'n', x.n)) from tags x), '[]'),
                           'priceBuckets', case when $4 is null then '[]'::jsonb else coalesce((
                               select jsonb_agg(jsonb_build_object('min', $7[x.b], 'max', $7[x.b + 1], 'count', x.n) order by x.b)
                               from (select pg_catalog.width_bucket(m.min_amount, $7) as b, count(*) as n
                                     from m where m.min_amount is not null group by 1) x
                               where x.b >= 1), '[]') end,
                           'inStock', jsonb_build_object(
                               'true', (select count(*) from m where m.has_stock),
                               'false', (select count(*) from m where not m.has_stock))),
                       'rows', coalesce((
                           select jsonb_agg(jsonb_build_array(
                                      jsonb_build_object('s', $8, 'k', jsonb_build_array(g.key, g.product_id)),
                                      coalesce(g.rank, case when $9 then pg_catalog.ts_rank(p.search_vector, $2) end),
                                      g.product_id) order by g.ord)
                           from page g
                           join index.products p on p.tenant_id = $1 and p.product_id = g.product_id), '[]'))
            from counted c
$sql$, v_source, v_key, case when p_sort = 'price_desc' then 'pp.max_amount' else 'null::bigint' end,
       case when v_desc then 'desc' else 'asc' end, case when v_desc then '<' else '>' end,
       case p_sort when 'relevance' then 'real' when 'newest' then 'timestamptz' else 'bigint' end)
        into v_result
        using p_tenant_id, p_q, p_filters, p_currency, p_after, p_limit, p_bounds, p_sort, v_has_q;
    perform pg_catalog.set_config('enable_seqscan', v_seqscan, true);
    if not v_has_q then
        perform pg_catalog.set_config('enable_hashjoin', v_hashjoin, true),
                pg_catalog.set_config('enable_mergejoin', v_mergejoin, true);
    end if;
    if v_fill then
        perform index._search_cache_put(p_tenant_id, v_inputs, v_result, v_started);
    end if;
    return v_result;
end
$$;
comment on function index._product_search_pass(uuid, tsquery, jsonb, text, jsonb, integer, bigint[], text) is
    'Internal: the one-pass listing with facets of index.read_products_page (published products; forwards after '
    'p_after): ONE pass over the matches'' narrow search rows (index.product_search) gives the page (p_limit + 1 '
    'rows in the order of index.page_products), the exact total (capped at 10,000) and the facet counts, as {total, '
    'capped, counts, rows: [[cursor, rank, product_id]]}. With text (relevance or newest): the matches of p_q '
    'through the text index. Without text (p_q empty; the caller passes a price range in p_currency and sort '
    'newest, price_asc or price_desc): the price range through index.product_prices'' btree. Read from '
    'index.search_cache when there, stored there when it took long enough (index._search_cache_put).';

create or replace function index._products_page_rows(p_tenant_id uuid, p_q tsquery, p_fix text, p_result jsonb)
returns table (ord bigint, cursor jsonb, rank real,
               product_id uuid, handle text, title text, subtitle text, description text, status text,
               discountable boolean, currencies text[], prices jsonb, total_stock bigint, has_stock boolean,
               variant_count integer, tags text[], tag_slugs text[], seo jsonb, created_at timestamptz,
               updated_at timestamptz,
               tsq text, corrected_query text, total integer, total_capped boolean, facets jsonb)
    language sql stable
    rows 22
as $$
    -- row 0: what the listing as a whole says; then the page with the card columns of each product's read row
    select 0::bigint, null::jsonb, null::real, null::uuid, null::text, null::text, null::text,
           null::text, null::text, null::boolean, null::text[], null::jsonb, null::bigint, null::boolean,
           null::integer, null::text[], null::text[], null::jsonb, null::timestamptz, null::timestamptz,
           p_q::text, p_fix, (p_result ->> 'total')::integer, (p_result ->> 'capped')::boolean,
           case when jsonb_typeof(p_result -> 'counts') = 'object' then index._facets_named(p_tenant_id, p_result -> 'counts') end
    union all
    (select g.ord, g.r -> 0, (g.r ->> 1)::real,
            p.product_id, p.handle, p.title, p.subtitle, p.description, p.status, p.discountable,
            p.currencies, p.prices, p.total_stock, p.has_stock, p.variant_count, p.tags, p.tag_slugs,
            p.seo, p.created_at, p.updated_at, null::text, null::text, null::integer, null::boolean, null::jsonb
     from jsonb_array_elements(p_result -> 'rows') with ordinality as g (r, ord)
     join index.products p on p.tenant_id = p_tenant_id and p.product_id = (g.r ->> 2)::uuid
     order by g.ord)
$$;
comment on function index._products_page_rows(uuid, tsquery, text, jsonb) is
    'Internal: the rows of index.read_products_page from a listing result ({total, capped, counts, rows: [[cursor, '
    'rank, product_id]]}, computed now or read from index.search_cache): row 0 with the parsed query, the corrected '
    'text, total and the facets (names joined now), then the page with each product''s card columns read now.';

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
    v_bounds bigint[];
    v_inputs jsonb;
    v_result jsonb;
    v_fixed  jsonb;
    v_fix_q  tsquery;
    v_fill   boolean;
    v_started timestamptz;
begin
    -- The landing page (no text, no filters but the price buckets' bounds, newest first, paging forwards) is most
    -- of a storefront's traffic:
    -- its rows come straight from products_created_idx by static (plan-cached) statements, and its total from
    -- the facet cache (index._browse_facets: the exact count of published products). Everything else takes the
    -- general path below (index.product_query + page_products, dynamic SQL per sort).
    if p_search is null and coalesce(p_filters, '{}') - 'priceBuckets' = '{}' and coalesce(p_sort, 'newest') in ('newest', 'relevance')
       and p_before is null and not coalesce(p_from_end, false)
       and (p_currency is null or p_currency ~ '^[A-Z]{3}$') then
        perform core._check_page_size(p_limit);
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

    -- A search, first pages forwards (relevance or newest): ONE pass over the matches' narrow search rows
    -- (index.product_search, index._product_search_pass) gives the page, the exact total and the facets; the
    -- display rows are read for the page only (the two-pass way below reads every match's display row twice: the
    -- facets pass of index.search_products and the page of index.page_products, which ranks every match's wide
    -- row). Same results as those two, which the tests check byte for byte through the ordinary path; a listing
    -- that asked for no total or no facets (search as you type) gets none. The result is cached
    -- (index.search_cache). The text is parsed without product_query's test for a first match (a second bitmap
    -- scan of the same index): the pass itself tells when nothing matched, and only then is the spelling
    -- correction tried and the pass run again.
    if coalesce(p_sort, 'relevance') in ('relevance', 'newest')
       and p_before is null and not coalesce(p_from_end, false)
       and not (coalesce(p_filters, '{}') ? 'categoryIds' and coalesce(p_filters, '{}') ? 'categoryHandles') then
        v_q := index._product_query_text(v_tenant, p_search, p_filters, p_currency, false);
        v_bounds := index._price_bucket_bounds(p_filters);
        if numnode(v_q) > 0 then
            perform core._check_page_size(p_limit);
            perform index._cursor_key(p_after, coalesce(p_sort, 'relevance'),
                                      case when coalesce(p_sort, 'relevance') = 'relevance' then 'real' else 'timestamptz' end,
                                      'after');
            v_result := index._product_search_pass(v_tenant, v_q, coalesce(p_filters, '{}'::jsonb), p_currency, p_after,
                                                   p_limit, v_bounds, coalesce(p_sort, 'relevance'));
            if (v_result ->> 'total')::integer = 0 then
                -- nothing matched as typed (the pass tells: no separate test for a first match): the corrected
                -- text if that matches (its own pass tells), else the empty listing as typed; as index.product_query
                v_fix := index._correct(v_tenant, p_search);
                if v_fix is not null and v_fix <> lower(index._unaccent(left(p_search, 256)) collate "pg_c_utf8") then
                    v_fix_q := index._query(v_tenant, index._tsconfig(v_tenant), v_fix);
                    if numnode(v_fix_q) > 0 then
                        v_fixed := index._product_search_pass(v_tenant, v_fix_q, coalesce(p_filters, '{}'::jsonb),
                                                              p_currency, p_after, p_limit, v_bounds,
                                                              coalesce(p_sort, 'relevance'));
                    end if;
                end if;
                if (v_fixed ->> 'total')::integer > 0 then
                    v_q := v_fix_q;
                    v_result := v_fixed;
                else
                    v_fix := null;
                end if;
            end if;
            if not coalesce(p_want_facets, false) then   -- as the general path: only what was asked for
                v_result := v_result || jsonb_build_object('counts', null);
                if not coalesce(p_want_total, false) then
                    v_result := v_result || jsonb_build_object('total', null, 'capped', null);
                end if;
            end if;
            return query select * from index._products_page_rows(v_tenant, v_q, v_fix, v_result);
            return;
        end if;
    end if;

    select q.q, q.corrected_query into v_q, v_fix
    from index.product_query(v_tenant, p_search, p_filters, p_currency, false) q;

    -- A price range without text (the storefront's price bucket links), with facets, newest or by price, first
    -- pages forwards: the same one pass, over the range of index.product_prices' btree instead of the text index
    -- (the general path below filters every display row of the tenant by its prices JSON, twice). Only filters with
    -- values (an explicit JSON null means "no filter" to the facets pass and "nothing" to page_products).
    if numnode(v_q) = 0 and p_want_facets and p_currency is not null
       and coalesce(p_sort, 'newest') in ('newest', 'price_asc', 'price_desc')
       and p_before is null and not coalesce(p_from_end, false)
       and (jsonb_typeof(p_filters -> 'priceMin') = 'number' or jsonb_typeof(p_filters -> 'priceMax') = 'number')
       and not exists (select from jsonb_each(p_filters) e where jsonb_typeof(e.value) = 'null')
       and not (p_filters ? 'categoryIds' and p_filters ? 'categoryHandles') then
        perform core._check_page_size(p_limit);
        perform index._cursor_key(p_after, coalesce(p_sort, 'newest'),
                                  case when coalesce(p_sort, 'newest') = 'newest' then 'timestamptz' else 'bigint' end, 'after');
        v_result := index._product_search_pass(v_tenant, v_q, p_filters, p_currency, p_after, p_limit,
                                               index._price_bucket_bounds(p_filters), coalesce(p_sort, 'newest'));
        return query select * from index._products_page_rows(v_tenant, v_q, v_fix, v_result);
        return;
    end if;

    -- (the text: as far as index._query and index._correct read it)
    v_inputs := jsonb_build_array('general', v_q::text, v_fix, left(p_search, 256), coalesce(p_filters, '{}'::jsonb),
                                  p_sort, p_currency, p_after, p_before, p_limit, coalesce(p_from_end, false),
                                  coalesce(p_want_total, false), coalesce(p_want_facets, false));
    v_result := index._search_cache_get(v_tenant, v_inputs);
    if v_result is null then
        v_fill := index._search_cache_may_fill(v_tenant);
        v_started := pg_catalog.clock_timestamp();
        if p_want_facets then
            -- facets count every match whatever the order: 'newest' spares the relevance ranking of a one-item page;
            -- the same pass counts the matches exactly (same predicates and spelling correction as product_query),
            -- so the total needs no second count
            v_listing := index.search_products(v_tenant, p_search, p_filters, 'newest', 1, 0, p_currency, false);
            v_count := (v_listing ->> 'total')::bigint;
            v_total := least(v_count, 10000);
            v_capped := v_count > 10000;
            -- raw counts (names are joined when the rows are returned, as for the one pass)
            v_facets := jsonb_build_object(
                'categories', coalesce((select jsonb_agg(jsonb_build_object('id', e -> 'id', 'n', e -> 'count'))
                                        from jsonb_array_elements(v_listing -> 'facets' -> 'categories') e), '[]'),
                'tags', coalesce((select jsonb_agg(jsonb_build_object('slug', e -> 'slug', 'n', e -> 'count'))
                                  from jsonb_array_elements(v_listing -> 'facets' -> 'tags') e), '[]'),
                'priceBuckets', v_listing -> 'facets' -> 'priceBuckets',
                'inStock', v_listing -> 'facets' -> 'inStock');
        elsif p_want_total then
            select c.total, c.capped into v_total, v_capped
            from index.count_products(v_tenant, v_q, p_filters, p_currency, false, 10000) c;
        end if;
        -- the page (up to p_limit + 1 rows, as index.page_products)
        v_result := jsonb_build_object(
            'total', v_total, 'capped', v_capped, 'counts', v_facets,
            'rows', coalesce((
                select jsonb_agg(jsonb_build_array(k.cursor, k.rank, k.product_id) order by k.ord)
                from index.page_products(v_tenant, v_q, p_filters, p_sort, p_currency, false, p_after, p_before,
                                         p_limit, p_from_end) with ordinality as k (product_id, cursor, rank, ord)), '[]'));
        if v_fill then
            perform index._search_cache_put(v_tenant, v_inputs, v_result, v_started);
        end if;
    end if;
    return query select * from index._products_page_rows(v_tenant, v_q, v_fix, v_result);
end
$$;
comment on function index.read_products_page(text, text, jsonb, text, text, jsonb, jsonb, integer, boolean, boolean, boolean) is
    'The public products listing (GraphQL Query.products for an anonymous visitor) in one statement: row 0 carries '
    'the parsed query (tsq), corrected_query, and when asked the total (index.count_products, or for the landing '
    'page the facet cache''s exact count) and the facets (index.search_products); rows 1.. are the page (as '
    'index.page_products: up to p_limit + 1 rows) with the card columns of each product''s read row. The landing '
    'page (no text, no filters, newest, forwards) reads products_created_idx with static statements; a search '
    '(relevance or newest, forwards) and a price range without text (newest or by price, with facets) take one pass '
    'over the matches'' search rows (index._product_search_pass); results that cost something are kept in '
    'index.search_cache until the tenant''s read rows change. Tenant by '
    'slug (index._begin_public_read); arguments and errors as index.product_query / page_products. Security '
    'definer: only published products of the tenant named by its public slug.';
revoke all on function index.read_products_page(text, text, jsonb, text, text, jsonb, jsonb, integer, boolean, boolean, boolean) from public;
grant execute on function index.read_products_page(text, text, jsonb, text, text, jsonb, jsonb, integer, boolean, boolean, boolean) to rustok_app;

-- The landing page's rows for the compiled path without PL/pgSQL between the statement and the rows: the same
-- answer as read_products_page's landing branch (no text, no filters but the price buckets, newest first,
-- forwards), with the card columns only (no description, tag arrays, seo: the wide columns cost ~100 us per page
-- to pass through read_products_page's result), in one SQL statement with a generic plan.
create or replace function index._begin_products_landing(
    p_tenant_slug text, p_filters jsonb, p_currency text, p_after jsonb, p_limit integer
) returns uuid
    language plpgsql volatile
as $$
begin
    if coalesce(p_filters, '{}') - 'priceBuckets' <> '{}' or not (p_currency is null or p_currency ~ '^[A-Z]{3}$') then
        raise exception 'the landing page has no filters but priceBuckets and a currency code or none (got %, %)',
            p_filters, p_currency using errcode = 'invalid_parameter_value';
    end if;
    perform core._check_page_size(p_limit);
    perform index._cursor_key(p_after, 'newest', 'timestamptz', 'after');
    return index._begin_public_read(p_tenant_slug, 'commerce');
end
$$;
comment on function index._begin_products_landing(text, jsonb, text, jsonb, integer) is
    'Internal: start an anonymous read of the landing page (index.read_products_landing): its arguments checked as '
    'read_products_page checks them (22023: filters other than priceBuckets, a currency that is not a code, a page '
    'size out of 0-100, a cursor not of the newest list), then index._begin_public_read of the commerce module. '
    'Returns the tenant id.';
revoke all on function index._begin_products_landing(text, jsonb, text, jsonb, integer) from public;

create or replace function index.read_products_landing(
    p_tenant_slug text, p_filters jsonb, p_currency text, p_after jsonb, p_limit integer,
    p_want_total boolean, p_want_facets boolean
) returns table (ord bigint, cursor jsonb, product_id uuid, handle text, title text, subtitle text, status text,
                 discountable boolean, currencies text[], prices jsonb, total_stock bigint, has_stock boolean,
                 variant_count integer, created_at timestamptz, updated_at timestamptz,
                 total integer, total_capped boolean, facets jsonb)
    language sql volatile
    rows 22
    -- definer, as read_products_page: it reads only the tenant of p_tenant_slug (public, as the X-Tenant header is;
    -- an explicit predicate, not row-level security) and only published products. SQL, not PL/pgSQL, and a generic
    -- plan: a custom plan per call (the planner's choice with the page size a parameter) cost more than the rows.
    security definer set search_path = pg_catalog, pg_temp set plan_cache_mode = force_generic_plan
as $$
    -- t: the tenant, resolved and set for the rest of the caller's statement (index._begin_public_read) before any
    -- row: row 0 reads it first (Append runs its inputs in order) and the page's rows take it as their predicate
    with t as materialized (
        select index._begin_products_landing(p_tenant_slug, p_filters, p_currency, p_after, p_limit) as id),
    listing as materialized (   -- as read_products_page: the facets and the total from one read of the facet cache
        select t.id, case when p_want_facets then index.search_products(t.id, null, coalesce(p_filters, '{}'), 'newest',
                                                                        1, 0, p_currency, false) end as l
        from t),
    counted as materialized (
        select case when p_want_facets then (x.l ->> 'total')::bigint
                    when p_want_total then (index._browse_facets(x.id, false, p_currency,
                                                                 index._price_bucket_bounds(null)) ->> 'total')::bigint
               end as n,
               x.l -> 'facets' as facets
        from listing x)
    select 0::bigint, null::jsonb, null::uuid, null::text, null::text, null::text, null::text, null::boolean,
           null::text[], null::jsonb, null::bigint, null::boolean, null::integer, null::timestamptz, null::timestamptz,
           least(c.n, 10000)::integer, c.n > 10000, c.facets
    from counted c
    union all
    -- the first page and a later one as two branches, each switched on by p_after: one branch with an OR on
    -- p_after would not give the generic plan an index range on (created_at, product_id) to start from
    (select row_number() over (order by p.created_at desc, p.product_id desc),
            jsonb_build_object('s', 'newest', 'k', jsonb_build_array(p.created_at, p.product_id)),
            p.product_id, p.handle, p.title, p.subtitle, p.status, p.discountable, p.currencies, p.prices,
            p.total_stock, p.has_stock, p.variant_count, p.created_at, p.updated_at,
            null::integer, null::boolean, null::jsonb
     from index.products p
     where p.tenant_id = (select t.id from t) and p.status = 'published' and p_after is null
     order by p.created_at desc, p.product_id desc
     limit p_limit + 1)
    union all
    (select row_number() over (order by p.created_at desc, p.product_id desc),
            jsonb_build_object('s', 'newest', 'k', jsonb_build_array(p.created_at, p.product_id)),
            p.product_id, p.handle, p.title, p.subtitle, p.status, p.discountable, p.currencies, p.prices,
            p.total_stock, p.has_stock, p.variant_count, p.created_at, p.updated_at,
            null::integer, null::boolean, null::jsonb
     from index.products p
     where p.tenant_id = (select t.id from t) and p.status = 'published' and p_after is not null
       and (p.created_at, p.product_id) < ((p_after -> 'k' ->> 0)::timestamptz, (p_after -> 'k' ->> 1)::uuid)
     order by p.created_at desc, p.product_id desc
     limit p_limit + 1)
$$;
comment on function index.read_products_landing(text, jsonb, text, jsonb, integer, boolean, boolean) is
    'The public landing page (GraphQL Query.products of an anonymous visitor without search text, without filters but '
    'priceBuckets, newest first, forwards) in one SQL statement, as index.read_products_page answers it with fewer '
    'columns: row 0 the total and facets when asked (the facet cache), rows 1.. the page (up to p_limit + 1 rows from '
    'products_created_idx, after the cursor p_after) with the card columns (no description, tags or seo). The '
    'compiled path uses it when its cards need no other column. Tenant by slug (index._begin_public_read, which sets '
    'it for the rest of the statement); 22023 for other filters, a bad currency, page size or cursor. Security '
    'definer: only published products of the tenant named by its public slug.';
revoke all on function index.read_products_landing(text, jsonb, text, jsonb, integer, boolean, boolean) from public;
grant execute on function index.read_products_landing(text, jsonb, text, jsonb, integer, boolean, boolean) to rustok_app;

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
