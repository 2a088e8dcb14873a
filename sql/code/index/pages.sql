-- index/pages.sql: Relay connection reads of the read model: keyset pages, capped counts.
--
-- A page is asked for with the sort, the cursors (`after`, `before`: the sort key of a row, as given out by the
-- page that returned it: {"s": <sort>, "k": [<key>, <id>]}) and a limit; it answers the ids of the rows in order
-- with their cursors. Each sort is a total order (its key, then the id as tie-breaker) and the cursor predicate
-- is a row comparison on exactly that order, so a walk returns every row that exists throughout it exactly once,
-- whatever is inserted meanwhile. The display columns are read by the caller from the read table by id (one
-- statement; a compiler can join them in). Counts stop at a cap.

-- ---------------------------------------------------------------- cursors
create or replace function index._cursor_key(p_cursor jsonb, p_sort text, p_type text, p_arg text)
    returns jsonb
    language plpgsql immutable
as $$
declare
    v_key text;
begin
    if p_cursor is null then
        return null;
    end if;
    if jsonb_typeof(p_cursor) <> 'object' or jsonb_typeof(p_cursor -> 'k') is distinct from 'array'
       or jsonb_array_length(p_cursor -> 'k') <> 2 then
        raise exception '%: not a cursor of this list (take cursors from edges or pageInfo)', p_arg
            using errcode = 'invalid_parameter_value';
    end if;
    if p_cursor ->> 's' is distinct from p_sort then
        raise exception '%: this cursor belongs to a list sorted by %, not by % (keep the sort while paging)',
            p_arg, coalesce(p_cursor ->> 's', 'nothing'), p_sort using errcode = 'invalid_parameter_value';
    end if;
    v_key := p_cursor -> 'k' ->> 0;
    begin
        perform (p_cursor -> 'k' ->> 1)::uuid;
        case p_type
            when 'timestamptz' then perform v_key::timestamptz;
            when 'bigint' then perform v_key::bigint;
            when 'real' then perform v_key::real;
            when 'integer' then perform v_key::integer;
            else null;
        end case;
        if v_key is null or (p_cursor -> 'k' ->> 1) is null then
            raise exception using errcode = 'invalid_text_representation';
        end if;
    exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow
                   or numeric_value_out_of_range then
        raise exception '%: not a cursor of this list (take cursors from edges or pageInfo)', p_arg
            using errcode = 'invalid_parameter_value';
    end;
    return p_cursor;
end
$$;
comment on function index._cursor_key(jsonb, text, text, text) is
    'Internal: check a page cursor ({"s": sort, "k": [key, id]}) against the list''s sort and the key''s type '
    '(timestamptz, bigint, real, integer or text); returns it, or raises 22023 naming the argument (p_arg).';

-- ---------------------------------------------------------------- products
create or replace function index._product_listing_matches(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_include_unpublished boolean
) returns setof index.product_search
    language sql stable
as $$
    -- one SELECT, so the planner inlines it into the page and count statements (the tenant and filter predicates
    -- then use the GIN indexes of the narrow search rows: text, categories, tags); the display rows
    -- (index.products) carry none of these indexes, and are read by key for a page's rows only
    select p.*
    from index.product_search p
    where p.tenant_id = p_tenant_id
      and (p_include_unpublished or p.status = 'published')
      and (p_filters -> 'status' is null or p.status = any (index._jsonb_texts(p_filters -> 'status', 'status')))
      and (p_q is null or numnode(p_q) = 0 or p.search_vector @@ p_q)
      and (p_filters -> 'categoryIds' is null
           or p.category_ids && index._jsonb_uuids(p_filters -> 'categoryIds', 'categoryIds'))
      and (p_filters -> 'categoryHandles' is null     -- handles to ids, so the GIN index on category_ids serves
           or p.category_ids && array(select c.id from commerce.categories c
                                      where c.tenant_id = p_tenant_id
                                        and c.handle = any (index._jsonb_texts(p_filters -> 'categoryHandles', 'categoryHandles'))))
      and (p_filters -> 'tags' is null or p.tag_slugs && index._jsonb_texts(p_filters -> 'tags', 'tags'))
      and (p_filters ->> 'inStock' is null or p.has_stock = (p_filters ->> 'inStock')::boolean)
      and (p_filters -> 'priceMin' is null
           or (p.min_prices ->> p_currency)::bigint >= index._jsonb_bigint(p_filters -> 'priceMin', 'priceMin'))
      and (p_filters -> 'priceMax' is null
           or (p.min_prices ->> p_currency)::bigint <= index._jsonb_bigint(p_filters -> 'priceMax', 'priceMax'))
$$;
comment on function index._product_listing_matches(uuid, tsquery, jsonb, text, boolean) is
    'Internal: the narrow search rows (index.product_search: every product, with its status) of the products '
    'matching a parsed query and the filters (as in index.search_products; prices compare the lowest base price in '
    'p_currency; status only for staff, p_include_unpublished). Inlined into index.count_products, the text and '
    'category / tag listings of index.page_products, and the match probes of index.product_query, '
    'index.search_correction and index.page_search.';

create or replace function index._product_browse_matches(
    p_tenant_id uuid, p_filters jsonb, p_currency text, p_include_unpublished boolean
) returns setof index.products
    language sql stable
as $$
    -- a listing without text, categories or tags: the display rows themselves, walked in the order of their btree
    -- indexes (newest, title) and filtered (status, stock, prices) until the page is full
    select p.*
    from index.products p
    where p.tenant_id = p_tenant_id
      and (p_include_unpublished or p.status = 'published')
      and (p_filters -> 'status' is null or p.status = any (index._jsonb_texts(p_filters -> 'status', 'status')))
      and (p_filters ->> 'inStock' is null or p.has_stock = (p_filters ->> 'inStock')::boolean)
      and (p_filters -> 'priceMin' is null
           or (p.prices -> p_currency ->> 'min')::bigint >= index._jsonb_bigint(p_filters -> 'priceMin', 'priceMin'))
      and (p_filters -> 'priceMax' is null
           or (p.prices -> p_currency ->> 'min')::bigint <= index._jsonb_bigint(p_filters -> 'priceMax', 'priceMax'))
$$;
comment on function index._product_browse_matches(uuid, jsonb, text, boolean) is
    'Internal: the display rows (index.products) of a product listing without text, categoryIds, categoryHandles or '
    'tags (those take index._product_listing_matches): status (staff), inStock, priceMin / priceMax in p_currency. '
    'Inlined into index.page_products, whose sorts then walk the btree indexes of index.products.';

create or replace function index._product_search_matches(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text
) returns setof index.product_search
    language sql stable
as $$
    -- the narrow search rows of the published products matching a (non-empty) query and the filters: the same
    -- predicates as index._product_listing_matches without its staff-only status filter; inlined into the caller
    select p.*
    from index.product_search p
    where p.tenant_id = p_tenant_id
      and p.status = 'published'
      and p.search_vector @@ p_q
      and (p_filters -> 'categoryIds' is null
           or p.category_ids && index._jsonb_uuids(p_filters -> 'categoryIds', 'categoryIds'))
      and (p_filters -> 'categoryHandles' is null
           or p.category_ids && array(select c.id from commerce.categories c
                                      where c.tenant_id = p_tenant_id
                                        and c.handle = any (index._jsonb_texts(p_filters -> 'categoryHandles', 'categoryHandles'))))
      and (p_filters -> 'tags' is null or p.tag_slugs && index._jsonb_texts(p_filters -> 'tags', 'tags'))
      and (p_filters ->> 'inStock' is null or p.has_stock = (p_filters ->> 'inStock')::boolean)
      and (p_filters -> 'priceMin' is null
           or (p.min_prices ->> p_currency)::bigint >= index._jsonb_bigint(p_filters -> 'priceMin', 'priceMin'))
      and (p_filters -> 'priceMax' is null
           or (p.min_prices ->> p_currency)::bigint <= index._jsonb_bigint(p_filters -> 'priceMax', 'priceMax'))
$$;
comment on function index._product_search_matches(uuid, tsquery, jsonb, text) is
    'Internal: the narrow search rows (index.product_search) of published products matching a non-empty parsed '
    'query and the filters, as index._product_listing_matches does for staff too. Inlined into the one-pass search '
    'of index.read_products_page.';

create or replace function index._product_query_text(
    p_tenant_id uuid, p_query text, p_filters jsonb, p_currency text, p_include_unpublished boolean
) returns tsquery
    language plpgsql stable
as $$
begin
    perform core.assert_module_enabled(array[p_tenant_id], 'commerce');
    if p_include_unpublished then
        perform core.require_permission('content:read_drafts');
    end if;
    perform index._check_page(p_filters,
        array['categoryIds', 'categoryHandles', 'tags', 'priceMin', 'priceMax', 'inStock', 'status', 'priceBuckets'], 1, 0);
    if p_currency is not null and p_currency !~ '^[A-Z]{3}$' then
        raise exception 'currency: must be an ISO 4217 code like EUR (got %)', p_currency using errcode = 'invalid_parameter_value';
    end if;
    if p_filters ? 'inStock' and jsonb_typeof(p_filters -> 'inStock') not in ('boolean', 'null') then
        raise exception 'filter.inStock: must be true, false or null' using errcode = 'invalid_parameter_value';
    end if;
    if (p_filters -> 'priceMin' is not null or p_filters -> 'priceMax' is not null) and p_currency is null then
        raise exception 'currency: required with filter.priceMin / priceMax' using errcode = 'invalid_parameter_value';
    end if;
    if p_filters -> 'status' is not null and not p_include_unpublished then
        raise exception 'filter.status: only staff may filter by status' using errcode = 'invalid_parameter_value';
    end if;
    return index._query(p_tenant_id, index._tsconfig(p_tenant_id), p_query);
end
$$;
comment on function index._product_query_text(uuid, text, jsonb, text, boolean) is
    'Internal: index.product_query without its spelling correction: checks the module, the filters and the currency '
    '(22023 naming the field) and parses the text (index._query). For a tenant index._visible_tenant allowed; called '
    'by the definer functions product_query and read_products_page (the one-pass search corrects only when nothing '
    'matched, which its own pass tells, instead of testing for a match first).';
revoke all on function index._product_query_text(uuid, text, jsonb, text, boolean) from public;

create or replace function index.product_query(
    p_tenant_id uuid, p_query text, p_filters jsonb, p_currency text, p_include_unpublished boolean
) returns table (q tsquery, corrected_query text)
    language plpgsql stable
    rows 1
    security definer set search_path = pg_catalog, pg_temp
    -- EXISTS over a search is planned "read rows until the first hit" when the planner overestimates the matches
    -- (a rare word: the whole tenant is read); the tenant's indexes always serve these statements
    set enable_seqscan = off
as $$
declare
    v_q tsquery;
    v_fix text;
    v_fix_q tsquery;
begin
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy (see there)
    if p_tenant_id is null then
        return query select null::tsquery, null::text;
        return;
    end if;
    v_q := index._product_query_text(p_tenant_id, p_query, p_filters, p_currency, p_include_unpublished);
    if numnode(v_q) > 0
       and not exists (select 1 from index._product_listing_matches(p_tenant_id, v_q, p_filters, p_currency, p_include_unpublished)) then
        v_fix := index._correct(p_tenant_id, p_query);
        if v_fix is not null and v_fix <> lower(index._unaccent(left(p_query, 256)) collate "pg_c_utf8") then
            v_fix_q := index._query(p_tenant_id, index._tsconfig(p_tenant_id), v_fix);
            if numnode(v_fix_q) > 0 and exists (
                select 1 from index._product_listing_matches(p_tenant_id, v_fix_q, p_filters, p_currency, p_include_unpublished)) then
                return query select v_fix_q, v_fix;
                return;
            end if;
        end if;
    end if;
    return query select v_q, null::text;
end
$$;
comment on function index.product_query(uuid, text, jsonb, text, boolean) is
    'The tsquery a product listing uses for user text p_query (websearch syntax, prefix of the last word; when '
    'nothing matches as typed, the spelling-corrected text if that matches: corrected_query), after checking the '
    'filters (as index.search_products: 22023 naming the field). Pass q to index.page_products / count_products. '
    'Refuses (55000, module "commerce" is disabled) when the tenant turned commerce off. '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.product_query(uuid, text, jsonb, text, boolean) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.product_query(uuid, text, jsonb, text, boolean) to rustok_app;

create or replace function index.page_products(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_sort text, p_currency text, p_include_unpublished boolean,
    p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (product_id uuid, cursor jsonb, rank real)
    language plpgsql stable
    rows 21   -- the planner's guess for the caller's joins (a page is at most 101 rows; the default is 1000)
    security definer set search_path = pg_catalog, pg_temp
    -- the narrow search rows are small enough that the planner would rather filter all of them than use a GIN
    -- index for a category of a few thousand products (a scan reads every tenant's rows); the tenant's indexes
    -- always serve these statements (as index.product_query)
    set enable_seqscan = off
as $$
declare
    v_has_q boolean := p_q is not null and numnode(p_q) > 0;
    v_sort text := coalesce(p_sort, case when v_has_q then 'relevance' else 'newest' end);
    v_key text;
    v_type text;
    v_desc boolean;
    v_after_op text;
    v_before_op text;
    v_dir text;
    -- text, categories or tags: the matches' narrow search rows through their GIN indexes (the display rows have
    -- none), else the display rows in the order of their btree indexes
    v_narrow boolean := v_has_q or coalesce(p_filters ?| array['categoryIds', 'categoryHandles', 'tags'], false);
    v_source text := case when v_narrow then 'index._product_listing_matches($1, $2, $3, $4, $5) p'
                          else 'index._product_browse_matches($1, $3, $4, $5) p' end;
    v_title text := case when v_narrow then 'd.title' else 'p.title' end;
    v_join text := '';
begin
    perform core._check_page_size(p_limit);
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
    if v_sort = 'relevance' and not v_has_q then
        v_sort := 'newest';   -- nothing to rank: the relevance of a list without search text is its recency
    end if;
    if v_narrow and v_sort in ('title_asc', 'title_desc') then
        -- the search rows have no title: each match's display row by key
        v_join := 'join index.products d on d.tenant_id = p.tenant_id and d.product_id = p.product_id';
    end if;
    case v_sort
        when 'relevance' then v_key := 'ts_rank(p.search_vector, $2)'; v_type := 'real'; v_desc := true;
        when 'newest' then v_key := 'p.created_at'; v_type := 'timestamptz'; v_desc := true;
        when 'title_asc' then v_key := v_title; v_type := 'text'; v_desc := false;
        when 'title_desc' then v_key := v_title; v_type := 'text'; v_desc := true;
        when 'price_asc' then
            v_key := 'coalesce(pp.min_amount, 9223372036854775807)'; v_type := 'bigint'; v_desc := false;
        when 'price_desc' then
            v_key := 'coalesce(pp.max_amount, -1)'; v_type := 'bigint'; v_desc := true;
        else
            raise exception 'sort: must be relevance, newest, price_asc, price_desc, title_asc or title_desc (got %)', v_sort
                using errcode = 'invalid_parameter_value';
    end case;
    if v_sort in ('price_asc', 'price_desc') and p_currency is null then
        raise exception 'currency: required to sort by price' using errcode = 'invalid_parameter_value';
    end if;
    perform index._cursor_key(p_after, v_sort, v_type, 'after'), index._cursor_key(p_before, v_sort, v_type, 'before');
    v_after_op := case when v_desc then '<' else '>' end;
    v_before_op := case when v_desc then '>' else '<' end;
    v_dir := case when v_desc <> coalesce(p_from_end, false) then 'desc' else 'asc' end;
    -- the statement per sort is built from the fixed fragments above only (no input reaches its text)
    return query execute format($sql$
        select p.product_id, jsonb_build_object('s', %1$L, 'k', jsonb_build_array(%2$s, p.product_id)),
               case when $2 is not null and numnode($2) > 0 then ts_rank(p.search_vector, $2) end
        from %7$s
        %8$s
        left join index.product_prices pp
               on pp.tenant_id = p.tenant_id and pp.product_id = p.product_id and pp.currency_code = $4
        where ($6 is null or (%2$s, p.product_id) %4$s (($6 -> 'k' ->> 0)::%3$s, ($6 -> 'k' ->> 1)::uuid))
          and ($7 is null or (%2$s, p.product_id) %5$s (($7 -> 'k' ->> 0)::%3$s, ($7 -> 'k' ->> 1)::uuid))
        order by %2$s %6$s, p.product_id %6$s
        limit $8 $sql$, v_sort, v_key, v_type, v_after_op, v_before_op, v_dir, v_source, v_join)
        using p_tenant_id, p_q, coalesce(p_filters, '{}'::jsonb), p_currency, coalesce(p_include_unpublished, false),
              p_after, p_before, p_limit + 1;
end
$$;
comment on function index.page_products(uuid, tsquery, jsonb, text, text, boolean, jsonb, jsonb, integer, boolean) is
    'One keyset page of a product listing (GraphQL products connection): up to p_limit + 1 rows (the extra one says '
    'there is a next page) after cursor p_after and before p_before, in the order of p_sort (relevance: ts_rank '
    'desc; newest: created_at desc; title_asc/desc; price_asc: lowest base price in p_currency, products without '
    'one last; price_desc: highest, those without last), the product id breaking ties in the same direction; '
    'p_from_end: the rows nearest p_before first (last/before), the caller reverses them. p_q from '
    'index.product_query; filters as index.search_products. cursor: {"s": sort, "k": [key, id]}. 22023 on a bad '
    'sort, limit (0-100) or cursor. With text, categories or tags the matches are the narrow search rows '
    '(index._product_listing_matches: their GIN indexes), else the display rows (index._product_browse_matches: '
    'their btree indexes). '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.page_products(uuid, tsquery, jsonb, text, text, boolean, jsonb, jsonb, integer, boolean) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.page_products(uuid, tsquery, jsonb, text, text, boolean, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function index.count_products(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_include_unpublished boolean, p_cap integer default 10000
) returns table (total integer, capped boolean)
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
    set enable_seqscan = off   -- as index.page_products: the tenant's indexes, never a scan of every tenant's rows
as $$
    select least(count(*), p_cap)::integer, count(*) > p_cap
    from (select 1 from index._product_listing_matches(index._visible_tenant(p_tenant_id), p_q, coalesce(p_filters, '{}'),
                                                       p_currency, coalesce(p_include_unpublished, false))
          limit p_cap + 1) m
$$;
comment on function index.count_products(uuid, tsquery, jsonb, text, boolean, integer) is
    'The number of products a listing matches, exact up to p_cap (default 10,000); capped is true when there are '
    'more (the total is then p_cap). (GraphQL totalCount / totalCountCapped.) '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.count_products(uuid, tsquery, jsonb, text, boolean, integer) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.count_products(uuid, tsquery, jsonb, text, boolean, integer) to rustok_app;

-- ---------------------------------------------------------------- content
create or replace function index._content_matches(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_include_unpublished boolean
) returns setof index.content
    language sql stable
as $$
    select c.*
    from index.content c
    where c.tenant_id = p_tenant_id
      and c.kind = any (coalesce(index._jsonb_texts(p_filters -> 'kinds', 'kinds'), array['page', 'post']))
      and (p_include_unpublished or (c.status in ('published', 'approved') and c.published_at <= now()))
      and (p_filters -> 'status' is null or c.status = any (index._jsonb_texts(p_filters -> 'status', 'status')))
      and (p_q is null or numnode(p_q) = 0 or c.search_vector @@ p_q)
      and (p_filters -> 'categoryIds' is null
           or c.category_id = any (index._jsonb_uuids(p_filters -> 'categoryIds', 'categoryIds')))
      and (p_filters -> 'categorySlugs' is null
           or c.category_slug = any (index._jsonb_texts(p_filters -> 'categorySlugs', 'categorySlugs')))
      and (p_filters -> 'tags' is null or c.tag_slugs && index._jsonb_texts(p_filters -> 'tags', 'tags'))
      and (p_filters -> 'authorIds' is null
           or c.author_id = any (index._jsonb_uuids(p_filters -> 'authorIds', 'authorIds')))
      and (p_filters ->> 'parentId' is null or c.parent_id = (p_filters ->> 'parentId')::uuid)
$$;
comment on function index._content_matches(uuid, tsquery, jsonb, boolean) is
    'Internal: the read rows of content matching a parsed query and the filters (as in index.search_content). '
    'Inlined into index.page_content and index.count_content.';

create or replace function index.content_query(p_tenant_id uuid, p_query text, p_filters jsonb, p_include_unpublished boolean)
    returns table (q tsquery, corrected_query text)
    language plpgsql stable
    rows 1
    security definer set search_path = pg_catalog, pg_temp
    -- EXISTS over a search is planned "read rows until the first hit" when the planner overestimates the matches
    -- (a rare word: the whole tenant is read); the tenant's indexes always serve these statements
    set enable_seqscan = off
as $$
declare
    v_cfg regconfig := index._tsconfig(p_tenant_id);
    v_q tsquery;
    v_fix text;
    v_fix_q tsquery;
begin
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
    if p_tenant_id is null then
        return query select null::tsquery, null::text;
        return;
    end if;
    perform core.assert_module_enabled(array[p_tenant_id], 'content');
    if p_include_unpublished then
        perform core.require_permission('content:read_drafts');
    end if;
    perform index._check_page(p_filters,
        array['kinds', 'categoryIds', 'categorySlugs', 'tags', 'authorIds', 'parentId', 'status'], 1, 0);
    if p_filters -> 'status' is not null and not p_include_unpublished then
        raise exception 'filter.status: only staff may filter by status' using errcode = 'invalid_parameter_value';
    end if;
    if p_filters ->> 'parentId' is not null then
        perform index._jsonb_uuids(jsonb_build_array(p_filters -> 'parentId'), 'parentId');
    end if;
    v_q := index._query(p_tenant_id, v_cfg, p_query);
    if numnode(v_q) > 0 and not exists (select 1 from index._content_matches(p_tenant_id, v_q, p_filters, p_include_unpublished)) then
        v_fix := index._correct(p_tenant_id, p_query);
        if v_fix is not null and v_fix <> lower(index._unaccent(left(p_query, 256)) collate "pg_c_utf8") then
            v_fix_q := index._query(p_tenant_id, v_cfg, v_fix);
            if numnode(v_fix_q) > 0 and exists (
                select 1 from index._content_matches(p_tenant_id, v_fix_q, p_filters, p_include_unpublished)) then
                return query select v_fix_q, v_fix;
                return;
            end if;
        end if;
    end if;
    return query select v_q, null::text;
end
$$;
comment on function index.content_query(uuid, text, jsonb, boolean) is
    'The tsquery a content listing uses for user text (as index.product_query), after checking the filters '
    '(as index.search_content). Pass q to index.page_content / count_content. Refuses (55000) when the tenant '
    'turned the content module off. '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.content_query(uuid, text, jsonb, boolean) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.content_query(uuid, text, jsonb, boolean) to rustok_app;

create or replace function index.page_content(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_sort text, p_include_unpublished boolean,
    p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (node_id uuid, cursor jsonb, rank real)
    language plpgsql stable
    rows 21   -- the planner's guess for the caller's joins (a page is at most 101 rows; the default is 1000)
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_has_q boolean := p_q is not null and numnode(p_q) > 0;
    v_sort text := coalesce(p_sort, case when v_has_q then 'relevance' else 'newest' end);
    v_key text;
    v_type text;
    v_desc boolean;
    v_dir text;
begin
    perform core._check_page_size(p_limit);
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
    if v_sort = 'relevance' and not v_has_q then
        v_sort := 'newest';
    end if;
    case v_sort
        when 'relevance' then v_key := 'ts_rank(c.search_vector, $2)'; v_type := 'real'; v_desc := true;
        when 'newest' then v_key := 'coalesce(c.published_at, c.created_at)'; v_type := 'timestamptz'; v_desc := true;
        when 'oldest' then v_key := 'coalesce(c.published_at, c.created_at)'; v_type := 'timestamptz'; v_desc := false;
        when 'title_asc' then v_key := 'coalesce(c.title, '''')'; v_type := 'text'; v_desc := false;
        when 'position' then v_key := 'c.position'; v_type := 'integer'; v_desc := false;
        else
            raise exception 'sort: must be relevance, newest, oldest, title_asc or position (got %)', v_sort
                using errcode = 'invalid_parameter_value';
    end case;
    perform index._cursor_key(p_after, v_sort, v_type, 'after'), index._cursor_key(p_before, v_sort, v_type, 'before');
    v_dir := case when v_desc <> coalesce(p_from_end, false) then 'desc' else 'asc' end;
    return query execute format($sql$
        select c.node_id, jsonb_build_object('s', %1$L, 'k', jsonb_build_array(%2$s, c.node_id)),
               case when $2 is not null and numnode($2) > 0 then ts_rank(c.search_vector, $2) end
        from index._content_matches($1, $2, $3, $4) c
        where ($5 is null or (%2$s, c.node_id) %4$s (($5 -> 'k' ->> 0)::%3$s, ($5 -> 'k' ->> 1)::uuid))
          and ($6 is null or (%2$s, c.node_id) %5$s (($6 -> 'k' ->> 0)::%3$s, ($6 -> 'k' ->> 1)::uuid))
        order by %2$s %6$s, c.node_id %6$s
        limit $7 $sql$, v_sort, v_key, v_type,
        case when v_desc then '<' else '>' end, case when v_desc then '>' else '<' end, v_dir)
        using p_tenant_id, p_q, coalesce(p_filters, '{}'::jsonb), coalesce(p_include_unpublished, false),
              p_after, p_before, p_limit + 1;
end
$$;
comment on function index.page_content(uuid, tsquery, jsonb, text, boolean, jsonb, jsonb, integer, boolean) is
    'One keyset page of a content listing (GraphQL contents connection, a post''s comments, a comment''s replies), '
    'as index.page_products: sorts relevance, newest / oldest (published_at, else created_at), title_asc, position; '
    'the node id breaks ties. Filters as index.search_content (parentId: the replies of a node, with kinds [comment]). '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.page_content(uuid, tsquery, jsonb, text, boolean, jsonb, jsonb, integer, boolean) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.page_content(uuid, tsquery, jsonb, text, boolean, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function index.count_content(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_include_unpublished boolean, p_cap integer default 10000
) returns table (total integer, capped boolean)
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
    select least(count(*), p_cap)::integer, count(*) > p_cap
    from (select 1 from index._content_matches(index._visible_tenant(p_tenant_id), p_q, coalesce(p_filters, '{}'), coalesce(p_include_unpublished, false))
          limit p_cap + 1) m
$$;
comment on function index.count_content(uuid, tsquery, jsonb, boolean, integer) is
    'The number of content rows a listing matches, exact up to p_cap (default 10,000), capped when more. '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.count_content(uuid, tsquery, jsonb, boolean, integer) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.count_content(uuid, tsquery, jsonb, boolean, integer) to rustok_app;

-- ---------------------------------------------------------------- orders
create or replace function index.page_orders(
    p_customer_id uuid, p_status text, p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (order_id uuid, cursor jsonb)
    language plpgsql stable
as $$
begin
    perform core.assert_module_enabled(array[core.current_tenant_id()], 'commerce');
    if p_customer_id is distinct from core.current_user_id() then
        perform core.require_permission('orders:read_all');
    end if;
    perform core._check_page_size(p_limit);
    perform index._cursor_key(p_after, 'newest', 'timestamptz', 'after'),
            index._cursor_key(p_before, 'newest', 'timestamptz', 'before');
    if not coalesce(p_from_end, false) then
        return query
        select o.order_id, jsonb_build_object('s', 'newest', 'k', jsonb_build_array(o.created_at, o.order_id))
        from index.orders o
        where o.tenant_id = core.current_tenant_id()
          and (p_customer_id is null or o.customer_id = p_customer_id)
          and (p_status is null or o.status = p_status)
          and (p_after is null or (o.created_at, o.order_id) < ((p_after -> 'k' ->> 0)::timestamptz, (p_after -> 'k' ->> 1)::uuid))
          and (p_before is null or (o.created_at, o.order_id) > ((p_before -> 'k' ->> 0)::timestamptz, (p_before -> 'k' ->> 1)::uuid))
        order by o.created_at desc, o.order_id desc
        limit p_limit + 1;
    else
        return query
        select o.order_id, jsonb_build_object('s', 'newest', 'k', jsonb_build_array(o.created_at, o.order_id))
        from index.orders o
        where o.tenant_id = core.current_tenant_id()
          and (p_customer_id is null or o.customer_id = p_customer_id)
          and (p_status is null or o.status = p_status)
          and (p_after is null or (o.created_at, o.order_id) < ((p_after -> 'k' ->> 0)::timestamptz, (p_after -> 'k' ->> 1)::uuid))
          and (p_before is null or (o.created_at, o.order_id) > ((p_before -> 'k' ->> 0)::timestamptz, (p_before -> 'k' ->> 1)::uuid))
        order by o.created_at asc, o.order_id asc
        limit p_limit + 1;
    end if;
end
$$;
comment on function index.page_orders(uuid, text, jsonb, jsonb, integer, boolean) is
    'One keyset page of the current tenant''s orders (GraphQL orders connection), newest first (created_at, then '
    'id): only customer p_customer_id''s, or all when null; another customer''s or all need orders:read_all (42501); '
    'optionally one status. As index.page_products. '
    'Refuses (55000) when the tenant turned commerce off.';
grant execute on function index.page_orders(uuid, text, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function index.count_orders(p_customer_id uuid, p_status text, p_cap integer default 10000)
    returns table (total integer, capped boolean)
    language sql stable
as $$
    select least(count(*), p_cap)::integer, count(*) > p_cap
    from (select 1 from index.orders o
          where o.tenant_id = core.current_tenant_id()
            and (p_customer_id is null or o.customer_id = p_customer_id)
            and (p_status is null or o.status = p_status)
            and (p_customer_id = core.current_user_id() or core.has_permission('orders:read_all'))
          limit p_cap + 1) m
$$;
comment on function index.count_orders(uuid, text, integer) is
    'The number of the current tenant''s orders (one customer''s, or all when null), exact up to p_cap, capped when more; '
    '0 for orders the acting user may not see (own orders, or orders:read_all).';
grant execute on function index.count_orders(uuid, text, integer) to rustok_app;

-- ---------------------------------------------------------------- unified search
create or replace function index.search_correction(p_tenant_id uuid, p_query text, p_include_unpublished boolean)
    returns text
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
    set enable_seqscan = off   -- as index.product_query: the EXISTS probes below always use the tenant's indexes
as $$
declare
    v_cfg      regconfig;
    v_q        tsquery;
    v_fix      text;
    v_fix_q    tsquery;
    v_products boolean;
    v_content  boolean;
begin
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
    if p_tenant_id is null then
        return null;
    end if;
    if p_include_unpublished then
        perform core.require_permission('content:read_drafts');
    end if;
    v_cfg := index._tsconfig(p_tenant_id);
    v_q := index._query(p_tenant_id, v_cfg, p_query);
    if numnode(v_q) = 0 then
        return null;
    end if;
    v_products := core.module_enabled(p_tenant_id, 'commerce');
    v_content := core.module_enabled(p_tenant_id, 'content');
    -- the text as typed finds something: nothing to correct
    if (v_products and exists (select 1 from index._product_listing_matches(p_tenant_id, v_q, '{}', null, p_include_unpublished)))
       or (v_content and exists (select 1 from index._content_matches(p_tenant_id, v_q, '{}', p_include_unpublished))) then
        return null;
    end if;
    v_fix := index._correct(p_tenant_id, p_query);
    if v_fix is null or v_fix = lower(index._unaccent(left(p_query, 256)) collate "pg_c_utf8") then
        return null;
    end if;
    v_fix_q := index._query(p_tenant_id, v_cfg, v_fix);
    if numnode(v_fix_q) > 0
       and ((v_products and exists (select 1 from index._product_listing_matches(p_tenant_id, v_fix_q, '{}', null, p_include_unpublished)))
            or (v_content and exists (select 1 from index._content_matches(p_tenant_id, v_fix_q, '{}', p_include_unpublished)))) then
        return v_fix;
    end if;
    return null;
end
$$;
comment on function index.search_correction(uuid, text, boolean) is
    'The spelling correction of the unified storefront search (GraphQL search { correctedQuery }): when user text '
    'p_query matches no product nor page/post of the tenant (modules turned off count as empty), the text with each '
    'unknown word replaced by its nearest indexed word (index._correct, the same correction as index.product_query), '
    'provided that corrected text matches something; else null. The API pages index.page_search with the corrected '
    'text. Security definer (the index probes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.search_correction(uuid, text, boolean) from public;  -- definer: the app only
grant execute on function index.search_correction(uuid, text, boolean) to rustok_app;

create or replace function index.page_search(
    p_tenant_id uuid, p_query text, p_include_unpublished boolean,
    p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (id uuid, type text, cursor jsonb, rank real)
    language plpgsql stable
    rows 21   -- the planner's guess for the caller's joins (a page is at most 101 rows; the default is 1000)
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_q tsquery := index._query(p_tenant_id, index._tsconfig(p_tenant_id), p_query);
begin
    perform core._check_page_size(p_limit);
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
    if p_tenant_id is null then
        return;
    end if;
    if p_include_unpublished then
        perform core.require_permission('content:read_drafts');
    end if;
    perform index._cursor_key(p_after, 'relevance', 'real', 'after'), index._cursor_key(p_before, 'relevance', 'real', 'before');
    if numnode(v_q) = 0 then
        return;
    end if;
    return query
    with hits as (
        select p.product_id as id, 'Product' as type, ts_rank(p.search_vector, v_q) as rank
        from index._product_listing_matches(p_tenant_id, v_q, '{}', null, p_include_unpublished) p
        where core.module_enabled(p_tenant_id, 'commerce')
        union all
        select c.node_id, 'Content', ts_rank(c.search_vector, v_q)
        from index._content_matches(p_tenant_id, v_q, '{}', p_include_unpublished) c
        where core.module_enabled(p_tenant_id, 'content')
    )
    select h.id, h.type, jsonb_build_object('s', 'relevance', 'k', jsonb_build_array(h.rank, h.id)), h.rank
    from hits h
    where (p_after is null or (h.rank, h.id) < ((p_after -> 'k' ->> 0)::real, (p_after -> 'k' ->> 1)::uuid))
      and (p_before is null or (h.rank, h.id) > ((p_before -> 'k' ->> 0)::real, (p_before -> 'k' ->> 1)::uuid))
    order by case when p_from_end then h.rank end asc, case when p_from_end then h.id end asc,
             h.rank desc, h.id desc
    limit p_limit + 1;
end
$$;
comment on function index.page_search(uuid, text, boolean, jsonb, jsonb, integer, boolean) is
    'One keyset page of the unified storefront search (GraphQL search): products and pages/posts matching user text '
    'p_query (as index.search_products; the API corrects the spelling first with index.search_correction), by relevance (ts_rank desc, then id desc), '
    'with their type (Product or Content); a module the tenant turned off contributes nothing. Paging as index.page_products. '
    'Security definer (so @@ and the array filters use their indexes under row-level security): reads only the tenant index._visible_tenant allows.';
revoke all on function index.page_search(uuid, text, boolean, jsonb, jsonb, integer, boolean) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.page_search(uuid, text, boolean, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function index.count_search(
    p_tenant_id uuid, p_query text, p_include_unpublished boolean, p_cap integer default 10000
) returns table (total integer, capped boolean)
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_q tsquery := index._query(p_tenant_id, index._tsconfig(p_tenant_id), p_query);
    v_n bigint;
begin
    p_tenant_id := index._visible_tenant(p_tenant_id);   -- definer: the tenant rule of the policy
    if p_tenant_id is null or numnode(v_q) = 0 then
        return query select 0, false;
        return;
    end if;
    if p_include_unpublished then
        perform core.require_permission('content:read_drafts');
    end if;
    select count(*) into v_n from (
        (select 1 from index._product_listing_matches(p_tenant_id, v_q, '{}', null, p_include_unpublished) p
         where core.module_enabled(p_tenant_id, 'commerce') limit p_cap + 1)
        union all
        (select 1 from index._content_matches(p_tenant_id, v_q, '{}', p_include_unpublished) c
         where core.module_enabled(p_tenant_id, 'content') limit p_cap + 1)
    ) m;
    return query select least(v_n, p_cap)::integer, v_n > p_cap;
end
$$;
comment on function index.count_search(uuid, text, boolean, integer) is
    'How many products and pages/posts the unified search (index.page_search, same text and visibility) matches, exact '
    'up to p_cap (default 10,000), capped when more; a module the tenant turned off counts nothing. '
    'Security definer (as index.page_search): reads only the tenant index._visible_tenant allows. (GraphQL search.totalCount.)';
revoke all on function index.count_search(uuid, text, boolean, integer) from public;  -- definer: the app only (analysts have their own policies)
grant execute on function index.count_search(uuid, text, boolean, integer) to rustok_app;
