-- index/search/common.sql: search helpers shared by product and content search (query, typo correction, paging).

-- ---------------------------------------------------------------- query parsing
create or replace function index._query(p_tenant_id uuid, p_config regconfig, p_text text) returns tsquery
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
    -- a last word that completes only to itself gives the query as typed: OR-ing it with itself would make
    -- the index and the ranking do the same work twice
    return case when numnode(v_full) = 0 then v_prefix when v_prefix = v_full then v_full else v_full || v_prefix end;
end
$$;
comment on function index._query(uuid, regconfig, text) is
    'Internal: a tsquery for user text that never raises: websearch syntax ("phrase", or, -not) on the unaccented text '
    '(first 256 characters), OR the same with its last word completed from index.words (type-ahead prefix). '
    'Empty tsquery when the text has no searchable words.';

create or replace function index._correct(p_tenant_id uuid, p_text text) returns text
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

create or replace function index._jsonb_uuids(p_value jsonb, p_key text) returns uuid[]
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

create or replace function index._jsonb_texts(p_value jsonb, p_key text) returns text[]
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

create or replace function index._jsonb_bigint(p_value jsonb, p_key text) returns bigint
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

create or replace function index._check_page(p_filters jsonb, p_allowed text[], p_limit integer, p_offset integer) returns void
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

create or replace function index._tags_json(p_slugs text[], p_names text[]) returns jsonb
    language sql immutable parallel safe
as $$
    select coalesce(jsonb_agg(jsonb_build_object('slug', t.s, 'name', t.n) order by t.s), '[]')
    from unnest(p_slugs, p_names) as t (s, n)
$$;
comment on function index._tags_json(text[], text[]) is
    'Internal, the one tag-array builder of read documents: [{slug, name}] ordered by slug, from a read row''s '
    'parallel tag_slugs and tags arrays.';

-- ---------------------------------------------------------------- the tenant a read may see
create or replace function index._visible_tenant(p_tenant_id uuid) returns uuid
    language sql stable
as $$
    -- The storefront's read functions are security definer (so that text search, array and price predicates
    -- use their indexes: under row-level security a predicate that is not leakproof, such as @@, cannot be an
    -- index condition). They call this first and read only the tenant it returns, which keeps the rule of the
    -- policy tenant_isolation: the tenant of the transaction (core.current_tenant_id()), or any tenant for a
    -- caller that bypasses row-level security anyway (superuser, BYPASSRLS, the tables' owner: operators in
    -- psql). The caller is the role that called in: SET ROLE's role, else the session user.
    select case
        when p_tenant_id = core.current_tenant_id() then p_tenant_id
        when (select r.rolsuper or r.rolbypassrls
                     or pg_catalog.pg_has_role(r.oid, (select c.relowner from pg_catalog.pg_class c
                                                       where c.oid = 'index.products'::regclass), 'USAGE')
              from pg_catalog.pg_roles r
              where r.rolname = coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text))
            then p_tenant_id
    end
$$;
comment on function index._visible_tenant(uuid) is
    'Internal: p_tenant_id when the calling role may read that tenant''s read rows (it is the transaction''s tenant, '
    'or the caller bypasses row-level security: superuser, BYPASSRLS, owner), else null (no rows, as under the '
    'policy). Called first by the security definer read functions (index.search_products, product_query, '
    'page_products, count_products and the content and unified-search twins).';

-- ---------------------------------------------------------------- kept listing tallies
create or replace function index._search_row_matches(
    p_row index.product_search, p_q tsquery, p_filters jsonb, p_currency text
) returns boolean
    language sql stable
as $$
    -- the predicates of the one pass (index._product_search_matches with text; the price btree path without: a
    -- price range in p_currency, which the lowest price in min_prices is), with categoryHandles already turned
    -- into categoryIds (index._search_tally_filters). One SQL expression, so that a query calling it inlines it
    -- (index.tg_product_search__tallies tests every tally of a tenant against the changed rows in one statement)
    select coalesce(
        p_row.status = 'published'
        and (numnode(p_q) = 0 or p_row.search_vector @@ p_q)
        and (p_filters -> 'categoryIds' is null
             or p_row.category_ids && index._jsonb_uuids(p_filters -> 'categoryIds', 'categoryIds'))
        and (p_filters -> 'tags' is null or p_row.tag_slugs && index._jsonb_texts(p_filters -> 'tags', 'tags'))
        and (p_filters ->> 'inStock' is null or p_row.has_stock = (p_filters ->> 'inStock')::boolean)
        and (p_filters -> 'priceMin' is null
             or (p_row.min_prices ->> p_currency)::bigint >= index._jsonb_bigint(p_filters -> 'priceMin', 'priceMin'))
        and (p_filters -> 'priceMax' is null
             or (p_row.min_prices ->> p_currency)::bigint <= index._jsonb_bigint(p_filters -> 'priceMax', 'priceMax')),
        false)
$$;
comment on function index._search_row_matches(index.product_search, tsquery, jsonb, text) is
    'Internal: whether one narrow search row is a match of a kept listing tally (published, matches p_q unless it is '
    'empty, and the filters as index.search_tallies.filters keeps them: categoryIds, tags, inStock, priceMin, '
    'priceMax in p_currency): the predicates of index._product_search_pass for one row.';
