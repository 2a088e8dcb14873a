-- index/search/content.sql: content search and content details for the storefront.

-- ---------------------------------------------------------------- content
create or replace function index._content_page(
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
                'tags', index._tags_json(g.tag_slugs, g.tags),
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

create or replace function index.search_content(
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
grant execute on function index.search_content(uuid,text,jsonb,text,integer,integer,boolean) to rustok_app;

create or replace function index.get_content(p_tenant_id uuid, p_kind text, p_slug text, p_include_unpublished boolean default false)
    returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', c.node_id, 'kind', c.kind, 'title', c.title, 'slug', c.slug, 'excerpt', c.excerpt,
        'bodyPreview', c.body_preview, 'bodyFormat', c.body_format, 'status', c.status,
        'author', case when c.author_id is not null then jsonb_build_object('id', c.author_id, 'name', c.author_name) end,
        'category', case when c.category_id is not null then jsonb_build_object(
            'id', c.category_id, 'name', c.category_name, 'slug', c.category_slug) end,
        'tags', index._tags_json(c.tag_slugs, c.tags),
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
grant execute on function index.get_content(uuid,text,text,boolean) to rustok_app;
