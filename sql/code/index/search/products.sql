-- index/search/products.sql: product search and product details for the storefront.

-- ---------------------------------------------------------------- the page document
create or replace function index._facets_named(p_tenant_id uuid, p_counts jsonb) returns jsonb
    language sql stable
as $$
    -- names from the category and tag tables (primary key lookups), not from every match
    select jsonb_build_object(
        'categories', coalesce((
            select jsonb_agg(jsonb_build_object('id', c.id, 'handle', c.handle, 'name', c.name, 'count', x.n)
                             order by x.n desc, c.name)
            from jsonb_to_recordset(p_counts -> 'categories') as x (id uuid, n bigint)
            join commerce.categories c on c.tenant_id = p_tenant_id and c.id = x.id), '[]'),
        'tags', coalesce((
            select jsonb_agg(jsonb_build_object('slug', x.slug, 'name', t.name, 'count', x.n) order by x.n desc, x.slug)
            from jsonb_to_recordset(p_counts -> 'tags') as x (slug text, n bigint)
            join content.tags t on t.tenant_id = p_tenant_id and t.slug = x.slug), '[]'),
        'priceBuckets', p_counts -> 'priceBuckets',
        'inStock', p_counts -> 'inStock')
$$;
comment on function index._facets_named(uuid, jsonb) is
    'Internal, the one builder of a product listing''s facets: {categories: [{id, handle, name, count}] by count '
    'desc then name, tags: [{slug, name, count}] by count desc then slug, priceBuckets, inStock} from raw counts '
    '({categories: [{id, n}], tags: [{slug, n}], priceBuckets, inStock}, as index.facet_cache and index.search_cache '
    'keep them), the names read now.';

create or replace function index._product_page_json(
    p_tenant_id uuid, p_ids uuid[], p_ranks real[], p_counts jsonb, p_limit integer, p_offset integer, p_currency text
) returns jsonb
    language sql stable
as $$
    -- the one builder of a product listing page, for search (index._product_page) and browse (index._product_browse)
    select jsonb_build_object(
        'total', (p_counts ->> 'total')::bigint,
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
                'tags', index._tags_json(p.tag_slugs, p.tags),
                'rank', round(g.rank::numeric, 6),
                'createdAt', p.created_at, 'updatedAt', p.updated_at)
                order by g.ord)
            from unnest(p_ids, p_ranks) with ordinality as g (product_id, rank, ord)
            join index.products p on p.tenant_id = p_tenant_id and p.product_id = g.product_id), '[]'),
        'facets', index._facets_named(p_tenant_id, p_counts))
$$;
comment on function index._product_page_json(uuid, uuid[], real[], jsonb, integer, integer, text) is
    'Internal: the JSON of a product listing page: the cards of p_ids in order (rank from p_ranks, null when not ranked), '
    'total and facets from p_counts ({total, categories: [{id, n}], tags: [{slug, n}], priceBuckets, inStock}).';

create or replace function index._product_page(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_sort text, p_limit integer, p_offset integer,
    p_currency text, p_include_unpublished boolean, p_bounds bigint[]
) returns jsonb
    language plpgsql stable
    set plan_cache_mode = force_custom_plan
    set enable_seqscan = off   -- as index.page_products: the tenant's indexes, never a scan of every tenant's rows
as $$
declare
    v_cat_ids    uuid[] := index._jsonb_uuids(p_filters -> 'categoryIds', 'categoryIds');
    v_cat_hdl    text[] := index._jsonb_texts(p_filters -> 'categoryHandles', 'categoryHandles');
    v_tags       text[] := index._jsonb_texts(p_filters -> 'tags', 'tags');
    v_statuses   text[] := index._jsonb_texts(p_filters -> 'status', 'status');
    v_price_min  bigint := index._jsonb_bigint(p_filters -> 'priceMin', 'priceMin');
    v_price_max  bigint := index._jsonb_bigint(p_filters -> 'priceMax', 'priceMax');
    v_in_stock   boolean;
    v_has_q      boolean := p_q is not null and numnode(p_q) > 0;
    v_result     jsonb;
begin
    if p_filters ? 'inStock' and jsonb_typeof(p_filters -> 'inStock') not in ('boolean', 'null') then
        raise exception 'p_filters.inStock: must be true, false or null' using errcode = 'invalid_parameter_value';
    end if;
    v_in_stock := (p_filters ->> 'inStock')::boolean;
    if v_cat_hdl is not null then
        -- handles to ids (unique per tenant), so the filter uses the GIN index on category_ids
        v_cat_ids := coalesce(v_cat_ids, '{}') || array(
            select c.id from commerce.categories c where c.tenant_id = p_tenant_id and c.handle = any (v_cat_hdl));
    end if;
    if (v_price_min is not null or v_price_max is not null) and p_currency is null then
        raise exception 'p_currency: required with p_filters.priceMin / priceMax' using errcode = 'invalid_parameter_value';
    end if;
    if v_statuses is not null and not p_include_unpublished then
        raise exception 'p_filters.status: only staff (p_include_unpublished) may filter by status' using errcode = 'invalid_parameter_value';
    end if;

    with m as materialized (
        -- the narrow search rows (index.product_search: their GIN indexes serve the text, categories and tags);
        -- only the columns the counts, facets and sort need; display columns are read for the page only, the
        -- title (by key) only for a title sort, the highest price (by key) only for price_desc
        select p.product_id, p.created_at, p.has_stock, p.category_ids, p.tag_slugs,
               case when p_sort in ('title_asc', 'title_desc') then
                   (select d.title from index.products d
                    where d.tenant_id = p_tenant_id and d.product_id = p.product_id) end as title,
               (p.min_prices ->> p_currency)::bigint as min_amount,
               case when p_sort = 'price_desc' then
                   (select pp.max_amount from index.product_prices pp
                    where pp.tenant_id = p_tenant_id and pp.product_id = p.product_id
                      and pp.currency_code = p_currency) end as max_amount,
               case when v_has_q and p_sort = 'relevance' then p.search_vector end as sv
        from index.product_search p
        where p.tenant_id = p_tenant_id
          and (p_include_unpublished or p.status = 'published')
          and (v_statuses is null or p.status = any (v_statuses))
          and (not v_has_q or p.search_vector @@ p_q)
          and (v_cat_ids is null or p.category_ids && v_cat_ids)
          and (v_tags is null or p.tag_slugs && v_tags)
          and (v_in_stock is null or p.has_stock = v_in_stock)
          and (v_price_min is null or (p.min_prices ->> p_currency)::bigint >= v_price_min)
          and (v_price_max is null or (p.min_prices ->> p_currency)::bigint <= v_price_max)
    ),
    -- relevance is ranked over a bounded candidate set: the 5000 newest matches
    ranked as (
        select c.product_id, ts_rank(c.sv, p_q) as rank
        from (select m.product_id, m.sv from m where m.sv is not null
              order by m.created_at desc, m.product_id desc limit 5000) c
    ),
    page as (
        select m.product_id, r.rank, m.min_amount, m.max_amount,
               row_number() over (order by
                   case when p_sort = 'relevance' then coalesce(r.rank, 0) end desc,
                   case when p_sort = 'price_asc' then m.min_amount end asc nulls last,
                   case when p_sort = 'price_desc' then m.max_amount end desc nulls last,
                   case when p_sort = 'title_asc' then m.title end asc,
                   case when p_sort = 'title_desc' then m.title end desc,
                   m.created_at desc, m.product_id desc) as ord
        from m left join ranked r on r.product_id = m.product_id
        order by ord
        limit p_limit offset p_offset
    ),
    cats as (
        select x.id, count(*) as n from (select unnest(m.category_ids) as id from m) x
        group by x.id order by count(*) desc, x.id limit 50
    ),
    tags as (
        select x.slug, count(*) as n from (select unnest(m.tag_slugs) as slug from m) x
        group by x.slug order by count(*) desc, x.slug limit 50
    )
    select index._product_page_json(p_tenant_id,
               array(select g.product_id from page g order by g.ord),
               array(select case when v_has_q and p_sort = 'relevance' then g.rank end from page g order by g.ord),
               jsonb_build_object(
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
                       'false', (select count(*) from m where not m.has_stock))),
               p_limit, p_offset, p_currency)
    into v_result;
    return v_result;
end
$$;
comment on function index._product_page(uuid, tsquery, jsonb, text, integer, integer, text, boolean, bigint[]) is
    'Internal: one product listing page (items, total, facets) for a parsed query; see index.search_products. One '
    'pass over the matches'' narrow search rows (index.product_search), the display rows read for the page only.';

create or replace function index._price_bucket_bounds(p_filters jsonb) returns bigint[]
    language plpgsql immutable
as $$
declare
    v_bounds bigint[];
begin
    if not coalesce(p_filters ? 'priceBuckets', false) then
        return array[0, 1000, 2500, 5000, 10000, 25000, 50000, 100000]::bigint[];
    end if;
    if jsonb_typeof(p_filters -> 'priceBuckets') <> 'array' or jsonb_array_length(p_filters -> 'priceBuckets') not between 1 and 50 then
        raise exception 'p_filters.priceBuckets: must be an array of 1 to 50 ascending lower bounds (minor units)'
            using errcode = 'invalid_parameter_value';
    end if;
    v_bounds := array(select index._jsonb_bigint(e, 'priceBuckets') from jsonb_array_elements(p_filters -> 'priceBuckets') e);
    if exists (select 1 from generate_subscripts(v_bounds, 1) i where i > 1 and v_bounds[i] <= v_bounds[i - 1]) then
        raise exception 'p_filters.priceBuckets: bounds must be strictly ascending' using errcode = 'invalid_parameter_value';
    end if;
    return v_bounds;
end
$$;
comment on function index._price_bucket_bounds(jsonb) is
    'Internal: the lower bounds of the price buckets facet: p_filters.priceBuckets (1 to 50 strictly ascending minor '
    'units; 22023 otherwise), else 0, 1000, 2500, 5000, 10000, 25000, 50000, 100000.';

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
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg       regconfig := index._tsconfig(p_tenant_id);
    v_q         tsquery;
    v_sort      text;
    v_bounds    bigint[];
    v_result    jsonb;
    v_corrected text;
    v_visible   uuid := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
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
    v_bounds := index._price_bucket_bounds(p_filters);

    if v_visible is null then   -- another tenant than the transaction's: nothing, as under the policy
        return index._product_page_json(p_tenant_id, '{}', '{}',
                   '{"total": 0, "categories": [], "tags": [], "priceBuckets": [], "inStock": {"true": 0, "false": 0}}',
                   p_limit, p_offset, p_currency)
               || jsonb_build_object('query', p_query, 'correctedQuery', null, 'sort', v_sort);
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
    'bypass). Bad arguments raise 22023 naming the field. '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.search_products(uuid,text,jsonb,text,integer,integer,text,boolean) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.search_products(uuid,text,jsonb,text,integer,integer,text,boolean) to rustok_app;

create or replace function index.get_product(p_tenant_id uuid, p_handle text, p_include_unpublished boolean default false)
    returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', p.product_id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle, 'description', p.description,
        'status', p.status, 'discountable', p.discountable, 'prices', p.prices, 'currencies', p.currencies,
        'inStock', p.has_stock, 'totalStock', p.total_stock, 'variants', p.variants, 'options', p.options,
        'categories', p.categories,
        'tags', index._tags_json(p.tag_slugs, p.tags),
        'seo', p.seo, 'metadata', p.metadata, 'createdAt', p.created_at, 'updatedAt', p.updated_at)
    from index.products p
    where p.tenant_id = p_tenant_id and p.handle = p_handle
      and (p_include_unpublished or p.status = 'published')
    order by p.updated_at desc
    limit 1
$$;
comment on function index.get_product(uuid, text, boolean) is
    'The product page: one product by handle as JSON (variants with options, prices and availability, options, '
    'categories, tags, SEO meta), or null. The public sees published products only.';
grant execute on function index.get_product(uuid,text,boolean) to rustok_app;
