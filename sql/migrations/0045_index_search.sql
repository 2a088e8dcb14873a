-- depends: 0044_index_consumer
-- Storefront search: one SQL function per storefront page, each one round trip returning the page as
-- JSON (camelCase keys, ready for GraphQL): search_products / search_content (search + filters +
-- sort + page + facets) and get_product / get_content (detail pages).
--
-- Query handling (never raises on user text): the text is capped at 256 characters, unaccented and
-- parsed with websearch_to_tsquery in the tenant's configuration; the last word, while typed, also
-- matches as a prefix (completed from index.words); when nothing matches, words not in index.words
-- are replaced by their closest word (pg_trgm) and the search runs once more (correctedQuery).
-- Functions run as the caller (rustok_app: RLS keeps tenants apart).

-- ---------------------------------------------------------------- query parsing
create function index._query(p_tenant_id uuid, p_config regconfig, p_text text) returns tsquery
    language plpgsql stable
    set plan_cache_mode = force_custom_plan
as $$
declare
    v_text   text := index._unaccent(left(coalesce(p_text, ''), 256));
    v_full   tsquery;
    v_last   text;
    v_rest   tsquery;
    v_prefix tsquery;
begin
    v_full := websearch_to_tsquery(p_config, v_text);
    -- the word being typed: a trailing run of letters/digits, not negated (-word), not inside quotes
    v_last := lower(substring(v_text collate "pg_c_utf8" from '(?:^|[^[:alnum:]-])([[:alnum:]]{2,40})$'));
    if v_last is null or (length(v_text) - length(replace(v_text, '"', ''))) % 2 = 1 then
        return v_full;
    end if;
    select string_agg('(' || x.q::text || ')', ' | ')::tsquery into v_prefix
    from (select plainto_tsquery(p_config, w.word) as q
          from index.words w
          where w.tenant_id = p_tenant_id and w.word like v_last || '%'
          order by length(w.word), w.word
          limit 20) x
    where numnode(x.q) > 0;
    if v_prefix is null or numnode(v_prefix) = 0 then
        return v_full;
    end if;
    v_rest := websearch_to_tsquery(p_config, left(v_text, length(v_text) - length(v_last)));
    if numnode(v_rest) > 0 then
        v_prefix := v_rest && v_prefix;
    end if;
    return case when numnode(v_full) > 0 then v_full || v_prefix else v_prefix end;
end
$$;
comment on function index._query(uuid, regconfig, text) is
    'Internal: a tsquery for user text that never raises: websearch syntax ("phrase", or, -not) on the unaccented text '
    '(first 256 characters), OR the same with its last word completed from index.words (type-ahead prefix). '
    'Empty tsquery when the text has no searchable words.';

create function index._correct(p_tenant_id uuid, p_text text) returns text
    language sql stable
as $$
    -- each word (first 8) that the tenant does not have is replaced by its nearest word (trigram distance,
    -- a KNN scan of the GiST index) when that one is similar enough
    select string_agg(coalesce(f.fix, f.w), ' ' order by f.ord)
    from (
        select t.w, t.ord,
               case when exists (select 1 from index.words x where x.tenant_id = p_tenant_id and x.word = t.w) then null
                    else (select n.word from (
                              select x.word from index.words x
                              where x.tenant_id = p_tenant_id
                              order by x.word operator(public.<->) t.w
                              limit 1) n
                          where public.similarity(n.word, t.w) >= 0.2) end as fix
        -- split with a Unicode-aware collation, compare in the column's collation (so the indexes apply)
        from (select (s.w collate "default") as w, s.ord
              from regexp_split_to_table(lower(index._unaccent(left(p_text, 256)) collate "pg_c_utf8"), '[^[:alnum:]]+')
                   with ordinality as s (w, ord)) as t
        where t.w <> '' and length(t.w) <= 40
        order by t.ord
        limit 8
    ) f
$$;
comment on function index._correct(uuid, text) is
    'Internal: the text with every word the tenant''s index.words does not contain replaced by its nearest word '
    '(pg_trgm distance through the GiST index, kept when similarity >= 0.2); null when there are no words.';

create function index._jsonb_uuids(p_value jsonb, p_key text) returns uuid[]
    language plpgsql immutable
as $$
begin
    if p_value is null or jsonb_typeof(p_value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_value) <> 'array' then
        raise exception 'p_filters.%: must be an array of ids', p_key using errcode = 'invalid_parameter_value';
    end if;
    return array(select e::uuid from jsonb_array_elements_text(p_value) e);
exception when invalid_text_representation then
    raise exception 'p_filters.%: every entry must be a uuid', p_key using errcode = 'invalid_parameter_value';
end
$$;
comment on function index._jsonb_uuids(jsonb, text) is 'Internal: a JSON array of uuids from p_filters, or 22023 naming the key.';

create function index._jsonb_texts(p_value jsonb, p_key text) returns text[]
    language plpgsql immutable
as $$
begin
    if p_value is null or jsonb_typeof(p_value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_value) <> 'array' or exists (select 1 from jsonb_array_elements(p_value) e where jsonb_typeof(e) <> 'string') then
        raise exception 'p_filters.%: must be an array of strings', p_key using errcode = 'invalid_parameter_value';
    end if;
    return array(select e from jsonb_array_elements_text(p_value) e);
end
$$;
comment on function index._jsonb_texts(jsonb, text) is 'Internal: a JSON array of strings from p_filters, or 22023 naming the key.';

create function index._jsonb_bigint(p_value jsonb, p_key text) returns bigint
    language plpgsql immutable
as $$
begin
    if p_value is null or jsonb_typeof(p_value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_value) <> 'number' or (p_value #>> '{}') !~ '^-?[0-9]{1,18}$' then
        raise exception 'p_filters.%: must be an integer (minor units)', p_key using errcode = 'invalid_parameter_value';
    end if;
    return (p_value #>> '{}')::bigint;
end
$$;
comment on function index._jsonb_bigint(jsonb, text) is 'Internal: an integer from p_filters, or 22023 naming the key.';

create function index._check_page(p_filters jsonb, p_allowed text[], p_limit integer, p_offset integer) returns void
    language plpgsql immutable
as $$
declare
    v_bad text;
begin
    if p_filters is not null and jsonb_typeof(p_filters) <> 'object' then
        raise exception 'p_filters: must be a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    select k into v_bad from jsonb_object_keys(coalesce(p_filters, '{}')) k where not (k = any (p_allowed)) limit 1;
    if found then
        raise exception 'p_filters.%: unknown filter (known: %)', v_bad, array_to_string(p_allowed, ', ')
            using errcode = 'invalid_parameter_value';
    end if;
    if p_limit is null or p_limit not between 1 and 100 then
        raise exception 'p_limit: must be between 1 and 100 (got %)', coalesce(p_limit::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
    if p_offset is null or p_offset not between 0 and 10000 then
        raise exception 'p_offset: must be between 0 and 10000 (got %)', coalesce(p_offset::text, 'null')
            using errcode = 'invalid_parameter_value';
    end if;
end
$$;
comment on function index._check_page(jsonb, text[], integer, integer) is
    'Internal: validate the filters object (known keys only), limit (1-100) and offset (0-10000); 22023 naming the field.';

-- ---------------------------------------------------------------- products
create function index._product_page(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_sort text, p_limit integer, p_offset integer,
    p_currency text, p_include_unpublished boolean, p_bounds bigint[]
) returns jsonb
    language plpgsql stable
    set plan_cache_mode = force_custom_plan
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
        -- only the narrow columns the counts, facets and sort need; display columns are read for the page only
        select p.product_id, p.title, p.created_at, p.has_stock, p.category_ids, p.tag_slugs,
               (p.prices -> p_currency ->> 'min')::bigint as min_amount,
               (p.prices -> p_currency ->> 'max')::bigint as max_amount,
               case when v_has_q and p_sort = 'relevance' then p.search_vector end as sv
        from index.products p
        where p.tenant_id = p_tenant_id
          and (p_include_unpublished or p.status = 'published')
          and (v_statuses is null or p.status = any (v_statuses))
          and (not v_has_q or p.search_vector @@ p_q)
          and (v_cat_ids is null or p.category_ids && v_cat_ids)
          and (v_tags is null or p.tag_slugs && v_tags)
          and (v_in_stock is null or p.has_stock = v_in_stock)
          and (v_price_min is null or (p.prices -> p_currency ->> 'min')::bigint >= v_price_min)
          and (v_price_max is null or (p.prices -> p_currency ->> 'min')::bigint <= v_price_max)
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
        select x.id, count(*) as n from m cross join lateral unnest(m.category_ids) as x (id)
        group by x.id order by count(*) desc, x.id limit 50
    ),
    tags as (
        select x.slug, count(*) as n from m cross join lateral unnest(m.tag_slugs) as x (slug)
        group by x.slug order by count(*) desc, x.slug limit 50
    )
    select jsonb_build_object(
        'total', (select count(*) from m),
        'limit', p_limit,
        'offset', p_offset,
        'items', coalesce((
            select jsonb_agg(jsonb_build_object(
                'id', p.product_id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle, 'status', p.status,
                'price', case when g.min_amount is not null then jsonb_build_object(
                            'currencyCode', p_currency, 'min', g.min_amount, 'max', g.max_amount) end,
                'prices', p.prices, 'currencies', p.currencies, 'inStock', p.has_stock, 'totalStock', p.total_stock,
                'variantCount', p.variant_count, 'categories', p.categories,
                'tags', (select coalesce(jsonb_agg(jsonb_build_object('slug', s, 'name', n) order by s), '[]')
                         from unnest(p.tag_slugs, p.tags) as t (s, n)),
                'rank', case when v_has_q and p_sort = 'relevance' then round(g.rank::numeric, 6) end,
                'createdAt', p.created_at, 'updatedAt', p.updated_at)
                order by g.ord)
            from page g
            join index.products p on p.tenant_id = p_tenant_id and p.product_id = g.product_id), '[]'),
        'facets', jsonb_build_object(
            -- names from the category and tag tables (primary key lookups), not from every match
            'categories', coalesce((
                select jsonb_agg(jsonb_build_object('id', x.id, 'handle', c.handle, 'name', c.name, 'count', x.n)
                                 order by x.n desc, c.name)
                from cats x
                join commerce.categories c on c.tenant_id = p_tenant_id and c.id = x.id), '[]'),
            'tags', coalesce((
                select jsonb_agg(jsonb_build_object('slug', x.slug, 'name', t.name, 'count', x.n) order by x.n desc, x.slug)
                from tags x
                join content.tags t on t.tenant_id = p_tenant_id and t.slug = x.slug), '[]'),
            'priceBuckets', case when p_currency is null then '[]'::jsonb else coalesce((
                select jsonb_agg(jsonb_build_object('min', p_bounds[x.b], 'max', p_bounds[x.b + 1], 'count', x.n) order by x.b)
                from (select width_bucket(m.min_amount, p_bounds) as b, count(*) as n
                      from m where m.min_amount is not null group by 1) x
                where x.b >= 1), '[]') end,
            'inStock', jsonb_build_object(
                'true', (select count(*) from m where m.has_stock),
                'false', (select count(*) from m where not m.has_stock))))
    into v_result;
    return v_result;
end
$$;
comment on function index._product_page(uuid, tsquery, jsonb, text, integer, integer, text, boolean, bigint[]) is
    'Internal: one product listing page (items, total, facets) for a parsed query; see index.search_products.';

create function index.search_products(
    p_tenant_id            uuid,
    p_query                text default null,
    p_filters              jsonb default '{}',
    p_sort                 text default null,
    p_limit                integer default 20,
    p_offset               integer default 0,
    p_currency             text default null,
    p_include_unpublished  boolean default false
) returns jsonb
    language plpgsql stable
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
    'whole filtered result. Bad arguments raise 22023 naming the field.';

create function index.get_product(p_tenant_id uuid, p_handle text, p_include_unpublished boolean default false)
    returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', p.product_id, 'handle', p.handle, 'title', p.title, 'subtitle', p.subtitle, 'description', p.description,
        'status', p.status, 'discountable', p.discountable, 'prices', p.prices, 'currencies', p.currencies,
        'inStock', p.has_stock, 'totalStock', p.total_stock, 'variants', p.variants, 'options', p.options,
        'categories', p.categories,
        'tags', (select coalesce(jsonb_agg(jsonb_build_object('slug', s, 'name', n) order by s), '[]')
                 from unnest(p.tag_slugs, p.tags) as t (s, n)),
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

-- ---------------------------------------------------------------- content
create function index._content_page(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_sort text, p_limit integer, p_offset integer,
    p_include_unpublished boolean
) returns jsonb
    language plpgsql stable
    set plan_cache_mode = force_custom_plan
as $$
declare
    v_kinds    text[] := coalesce(index._jsonb_texts(p_filters -> 'kinds', 'kinds'), array['page', 'post']);
    v_cat_ids  uuid[] := index._jsonb_uuids(p_filters -> 'categoryIds', 'categoryIds');
    v_cat_slug text[] := index._jsonb_texts(p_filters -> 'categorySlugs', 'categorySlugs');
    v_tags     text[] := index._jsonb_texts(p_filters -> 'tags', 'tags');
    v_authors  uuid[] := index._jsonb_uuids(p_filters -> 'authorIds', 'authorIds');
    v_statuses text[] := index._jsonb_texts(p_filters -> 'status', 'status');
    v_parent   uuid;
    v_has_q    boolean := p_q is not null and numnode(p_q) > 0;
    v_result   jsonb;
begin
    if p_filters ? 'parentId' then
        v_parent := (index._jsonb_uuids(jsonb_build_array(p_filters -> 'parentId'), 'parentId'))[1];
    end if;
    if v_statuses is not null and not p_include_unpublished then
        raise exception 'p_filters.status: only staff (p_include_unpublished) may filter by status' using errcode = 'invalid_parameter_value';
    end if;
    with m as (
        select c.*
        from index.content c
        where c.tenant_id = p_tenant_id
          and c.kind = any (v_kinds)
          and (p_include_unpublished or (c.status in ('published', 'approved') and c.published_at <= now()))
          and (v_statuses is null or c.status = any (v_statuses))
          and (not v_has_q or c.search_vector @@ p_q)
          and (v_cat_ids is null or c.category_id = any (v_cat_ids))
          and (v_cat_slug is null or c.category_slug = any (v_cat_slug))
          and (v_tags is null or c.tag_slugs && v_tags)
          and (v_authors is null or c.author_id = any (v_authors))
          and (v_parent is null or c.parent_id = v_parent)
    ),
    cand as (
        select m.*, case when v_has_q then ts_rank(m.search_vector, p_q) else 0 end as rank
        from m
        order by m.published_at desc nulls last, m.node_id desc
        limit case when p_sort = 'relevance' and v_has_q then 5000 else null end
    ),
    page as (
        select c.* from cand c
        order by
            case when p_sort = 'relevance' then c.rank end desc,
            case when p_sort = 'oldest' then c.published_at end asc nulls last,
            case when p_sort = 'title_asc' then c.title end asc,
            case when p_sort = 'position' then c.position end asc,
            c.published_at desc nulls last, c.node_id desc
        limit p_limit offset p_offset
    )
    select jsonb_build_object(
        'total', (select count(*) from m),
        'limit', p_limit,
        'offset', p_offset,
        'items', coalesce((
            select jsonb_agg(jsonb_build_object(
                'id', g.node_id, 'kind', g.kind, 'title', g.title, 'slug', g.slug, 'excerpt', g.excerpt,
                'bodyPreview', g.body_preview, 'status', g.status,
                'author', case when g.author_id is not null then jsonb_build_object('id', g.author_id, 'name', g.author_name) end,
                'category', case when g.category_id is not null then jsonb_build_object(
                    'id', g.category_id, 'name', g.category_name, 'slug', g.category_slug) end,
                'tags', (select coalesce(jsonb_agg(jsonb_build_object('slug', s, 'name', n) order by s), '[]')
                         from unnest(g.tag_slugs, g.tags) as t (s, n)),
                'parentId', g.parent_id, 'replyCount', g.reply_count, 'publishedAt', g.published_at,
                'rank', case when v_has_q then round(g.rank::numeric, 6) end,
                'createdAt', g.created_at, 'updatedAt', g.updated_at)
                order by g.ord)
            from (select pg.*, row_number() over () as ord from page pg) g), '[]'),
        'facets', jsonb_build_object(
            'kinds', coalesce((select jsonb_agg(jsonb_build_object('kind', x.kind, 'count', x.n) order by x.kind)
                               from (select m.kind, count(*) as n from m group by m.kind) x), '[]'),
            'categories', coalesce((
                select jsonb_agg(jsonb_build_object('id', x.category_id, 'name', x.name, 'slug', x.slug, 'count', x.n)
                                 order by x.n desc, x.name)
                from (select m.category_id, min(m.category_name) as name, min(m.category_slug) as slug, count(*) as n
                      from m where m.category_id is not null group by m.category_id
                      order by count(*) desc, min(m.category_name) limit 50) x), '[]'),
            'tags', coalesce((
                select jsonb_agg(jsonb_build_object('slug', x.s, 'name', x.n, 'count', x.k) order by x.k desc, x.s)
                from (select t.s, min(t.n) as n, count(*) as k from m cross join lateral unnest(m.tag_slugs, m.tags) as t (s, n)
                      group by t.s order by count(*) desc, t.s limit 50) x), '[]')))
    into v_result;
    return v_result;
end
$$;
comment on function index._content_page(uuid, tsquery, jsonb, text, integer, integer, boolean) is
    'Internal: one content listing page (items, total, facets) for a parsed query; see index.search_content.';

create function index.search_content(
    p_tenant_id           uuid,
    p_query               text default null,
    p_filters             jsonb default '{}',
    p_sort                text default null,
    p_limit               integer default 20,
    p_offset              integer default 0,
    p_include_unpublished boolean default false
) returns jsonb
    language plpgsql stable
as $$
declare
    v_cfg       regconfig := index._tsconfig(p_tenant_id);
    v_q         tsquery;
    v_sort      text;
    v_result    jsonb;
    v_corrected text;
begin
    perform index._check_page(p_filters,
        array['kinds', 'categoryIds', 'categorySlugs', 'tags', 'authorIds', 'parentId', 'status'], p_limit, p_offset);
    v_q := index._query(p_tenant_id, v_cfg, p_query);
    v_sort := coalesce(p_sort, case when numnode(v_q) > 0 then 'relevance' else 'newest' end);
    if v_sort not in ('relevance', 'newest', 'oldest', 'title_asc', 'position') then
        raise exception 'p_sort: must be relevance, newest, oldest, title_asc or position (got %)', v_sort
            using errcode = 'invalid_parameter_value';
    end if;
    v_result := index._content_page(p_tenant_id, v_q, p_filters, v_sort, p_limit, p_offset, coalesce(p_include_unpublished, false));
    if (v_result ->> 'total')::bigint = 0 and numnode(v_q) > 0 then
        v_corrected := index._correct(p_tenant_id, p_query);
        if v_corrected is not null and v_corrected <> lower(index._unaccent(left(p_query, 256)) collate "pg_c_utf8") then
            v_q := index._query(p_tenant_id, v_cfg, v_corrected);
            if numnode(v_q) > 0 then
                v_result := index._content_page(p_tenant_id, v_q, p_filters, v_sort, p_limit, p_offset,
                                                coalesce(p_include_unpublished, false));
                if (v_result ->> 'total')::bigint > 0 then
                    return v_result || jsonb_build_object('query', p_query, 'correctedQuery', v_corrected, 'sort', v_sort);
                end if;
            end if;
        end if;
    end if;
    return v_result || jsonb_build_object('query', p_query, 'correctedQuery', null, 'sort', v_sort);
end
$$;
comment on function index.search_content(uuid, text, jsonb, text, integer, integer, boolean) is
    'The storefront content listing / blog search in one round trip: {total, limit, offset, query, correctedQuery, sort, '
    'items: [...], facets: {kinds, categories, tags}}. p_query as in index.search_products. p_filters: {kinds (default '
    'page and post), categoryIds, categorySlugs, tags (slugs, any of), authorIds, parentId (e.g. the comments of a post), '
    'status (staff only)}. p_sort: relevance (default with a query), newest (default), oldest, title_asc, position. '
    'The public sees published pages/posts and approved comments whose published_at has passed.';

create function index.get_content(p_tenant_id uuid, p_kind text, p_slug text, p_include_unpublished boolean default false)
    returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', c.node_id, 'kind', c.kind, 'title', c.title, 'slug', c.slug, 'excerpt', c.excerpt,
        'bodyPreview', c.body_preview, 'bodyFormat', c.body_format, 'status', c.status,
        'author', case when c.author_id is not null then jsonb_build_object('id', c.author_id, 'name', c.author_name) end,
        'category', case when c.category_id is not null then jsonb_build_object(
            'id', c.category_id, 'name', c.category_name, 'slug', c.category_slug) end,
        'tags', (select coalesce(jsonb_agg(jsonb_build_object('slug', s, 'name', n) order by s), '[]')
                 from unnest(c.tag_slugs, c.tags) as t (s, n)),
        'parentId', c.parent_id, 'replyCount', c.reply_count, 'seo', c.seo, 'metadata', c.metadata,
        'publishedAt', c.published_at, 'createdAt', c.created_at, 'updatedAt', c.updated_at)
    from index.content c
    where c.tenant_id = p_tenant_id and c.kind = p_kind and c.slug = p_slug
      and (p_include_unpublished or (c.status = 'published' and c.published_at <= now()))
    limit 1
$$;
comment on function index.get_content(uuid, text, text, boolean) is
    'A page or post by kind and slug as JSON (without the full body: read content.bodies for that), or null. '
    'The public sees published ones only.';

grant execute on function index.search_products(uuid, text, jsonb, text, integer, integer, text, boolean),
    index.get_product(uuid, text, boolean),
    index.search_content(uuid, text, jsonb, text, integer, integer, boolean),
    index.get_content(uuid, text, text, boolean) to rustok_app;
