-- index/content.sql: the content read rows (index.content) and how they are computed.

-- Rebuild of index.content from content.nodes, bodies, categories, tags, meta and core.users.
-- One SQL function computes the read rows (used by the rebuild and by index.verify, so they can
-- never disagree); the rebuild upserts them only where something really changed.
create or replace function index._content_rows(p_tenant_id uuid, p_node_ids uuid[])
    returns setof index.content
    language sql stable
as $$
    select
        n.tenant_id,
        n.id,
        n.kind,
        n.title,
        n.slug,
        n.excerpt,
        nullif(left(index._plain(b.body, b.format), 500), ''),
        b.format,
        n.status,
        n.author_id,
        u.display_name,
        n.category_id,
        c.name,
        c.slug,
        coalesce(t.names, '{}'),
        coalesce(t.slugs, '{}'),
        n.parent_id,
        n.depth,
        n.position,
        n.reply_count,
        m.title,
        m.description,
        coalesce(jsonb_strip_nulls(jsonb_build_object(
            'title', m.title, 'description', m.description, 'canonicalUrl', m.canonical_url,
            'imageUrl', m.image_url, 'robots', m.robots)), '{}'),
        n.metadata,
        index._tsv(x.cfg, n.title, 'A')
            || index._tsv(x.cfg, concat_ws(' ', n.excerpt, array_to_string(t.names, ' '), c.name), 'B')
            || index._tsv(x.cfg, left(index._plain(b.body, b.format), 100000), 'C')
            || index._tsv(x.cfg, u.display_name, 'D'),
        n.published_at,
        n.created_at,
        n.updated_at,
        null::uuid,
        null::text,
        null::timestamptz,
        now()
    from content.nodes n
    cross join lateral (select index._tsconfig(n.tenant_id) as cfg) x
    left join content.bodies b on b.tenant_id = n.tenant_id and b.node_id = n.id
    left join core.users u on u.tenant_id = n.tenant_id and u.id = n.author_id
    left join content.categories c on c.tenant_id = n.tenant_id and c.id = n.category_id
    left join content.meta m on m.tenant_id = n.tenant_id and m.target_type = 'node' and m.target_id = n.id
    left join lateral (
        select array_agg(tg.name order by tg.slug) as names, array_agg(tg.slug order by tg.slug) as slugs
        from content.taggables ta
        join content.tags tg on tg.tenant_id = ta.tenant_id and tg.id = ta.tag_id
        where ta.tenant_id = n.tenant_id and ta.target_type = 'node' and ta.target_id = n.id
    ) t on true
    where n.tenant_id = p_tenant_id
      -- no `p_node_ids is null or ...`: with it a generic plan (small rebuilds use one) scans every node
      and n.id = any (coalesce(p_node_ids, array(select x.id from content.nodes x where x.tenant_id = p_tenant_id)))
$$;
comment on function index._content_rows(uuid, uuid[]) is
    'Internal: the index.content rows as they should be, computed from the write tables, for some nodes of a tenant '
    '(all when p_node_ids is null). Used by the rebuild and by index.verify.';

create or replace function index._rebuild_content(p_tenant_id uuid, p_node_ids uuid[], p_events outbox.events[] default '{}')
    returns integer
    language plpgsql volatile
as $$
declare
    v_changed     uuid[];
    v_deleted     integer;
    v_words_stale boolean;
begin
    if p_tenant_id is null or coalesce(cardinality(p_node_ids), 0) = 0 then
        return 0;
    end if;
    with ev as (
        select distinct on (e.aggregate_id) e.aggregate_id, e.id, e.event_type, e.occurred_at
        from unnest(p_events) e
        where e.tenant_id = p_tenant_id and e.aggregate_type = 'node'
        order by e.aggregate_id, e.occurred_at desc, e.id desc
    ), up as (
        insert into index.content as t (
            tenant_id, node_id, kind, title, slug, excerpt, body_preview, body_format, status, author_id, author_name,
            category_id, category_name, category_slug, tags, tag_slugs, parent_id, depth, position, reply_count,
            meta_title, meta_description, seo, metadata, search_vector, published_at, created_at, updated_at,
            last_event_id, last_event_type, last_event_at, indexed_at)
        select s.tenant_id, s.node_id, s.kind, s.title, s.slug, s.excerpt, s.body_preview, s.body_format, s.status,
               s.author_id, s.author_name, s.category_id, s.category_name, s.category_slug, s.tags, s.tag_slugs,
               s.parent_id, s.depth, s.position, s.reply_count, s.meta_title, s.meta_description, s.seo, s.metadata,
               s.search_vector, s.published_at, s.created_at, s.updated_at,
               ev.id, ev.event_type, ev.occurred_at, clock_timestamp()
        from index._content_rows(p_tenant_id, p_node_ids) s
        left join ev on ev.aggregate_id = s.node_id
        on conflict (tenant_id, node_id) do update
           set kind = excluded.kind, title = excluded.title, slug = excluded.slug, excerpt = excluded.excerpt,
               body_preview = excluded.body_preview, body_format = excluded.body_format, status = excluded.status,
               author_id = excluded.author_id, author_name = excluded.author_name, category_id = excluded.category_id,
               category_name = excluded.category_name, category_slug = excluded.category_slug, tags = excluded.tags,
               tag_slugs = excluded.tag_slugs, parent_id = excluded.parent_id, depth = excluded.depth,
               position = excluded.position, reply_count = excluded.reply_count, meta_title = excluded.meta_title,
               meta_description = excluded.meta_description, seo = excluded.seo, metadata = excluded.metadata,
               search_vector = excluded.search_vector, published_at = excluded.published_at,
               created_at = excluded.created_at, updated_at = excluded.updated_at,
               last_event_id = excluded.last_event_id, last_event_type = excluded.last_event_type,
               last_event_at = excluded.last_event_at, indexed_at = excluded.indexed_at
         where (t.kind, t.title, t.slug, t.excerpt, t.body_preview, t.body_format, t.status, t.author_id, t.author_name,
                t.category_id, t.category_name, t.category_slug, t.tags, t.tag_slugs, t.parent_id, t.depth, t.position,
                t.reply_count, t.meta_title, t.meta_description, t.seo, t.metadata, t.search_vector, t.published_at,
                t.created_at, t.updated_at)
               is distinct from
               (excluded.kind, excluded.title, excluded.slug, excluded.excerpt, excluded.body_preview, excluded.body_format,
                excluded.status, excluded.author_id, excluded.author_name, excluded.category_id, excluded.category_name,
                excluded.category_slug, excluded.tags, excluded.tag_slugs, excluded.parent_id, excluded.depth,
                excluded.position, excluded.reply_count, excluded.meta_title, excluded.meta_description, excluded.seo,
                excluded.metadata, excluded.search_vector, excluded.published_at, excluded.created_at, excluded.updated_at)
        returning t.node_id,
                  -- an existing row's word text changed: words only it had may be gone from the tenant's word list
                  old.node_id is not null
                      and (old.title, old.excerpt, old.tags, old.category_name, old.body_preview)
                          is distinct from (new.title, new.excerpt, new.tags, new.category_name, new.body_preview)
                      as words_may_drop
    )
    select coalesce(array_agg(up.node_id), '{}'), coalesce(bool_or(up.words_may_drop), false)
      into v_changed, v_words_stale from up;

    -- a node that no longer exists leaves the index
    delete from index.content i
    where i.tenant_id = p_tenant_id and i.node_id = any (p_node_ids)
      and not exists (select 1 from content.nodes n where n.tenant_id = p_tenant_id and n.id = i.node_id);
    get diagnostics v_deleted = row_count;
    if v_words_stale or v_deleted > 0 then
        perform index._mark_words_stale(p_tenant_id);
    end if;

    if cardinality(v_changed) > 0 then
        -- only words the tenant does not have yet (sorted): concurrent inserts of one new word are rare
        insert into index.words (tenant_id, word)
        select distinct p_tenant_id, w.w
        from index.content i
        cross join lateral index._words(concat_ws(' ', i.title, i.excerpt, array_to_string(i.tags, ' '), i.category_name,
                                                  i.body_preview)) as w(w)
        where i.tenant_id = p_tenant_id and i.node_id = any (v_changed)
          and not exists (select 1 from index.words x where x.tenant_id = p_tenant_id and x.word = w.w)
        order by 2
        on conflict do nothing;
    end if;
    return cardinality(v_changed) + v_deleted;
end
$$;
comment on function index._rebuild_content(uuid, uuid[], outbox.events[]) is
    'Internal: rebuild the index.content rows of some nodes of one tenant, set-based: upsert where something really '
    'changed (recording the latest of p_events for each node), delete rows of nodes that are gone, add new words to '
    'index.words. Returns the number of rows inserted, updated or deleted.';

-- ---------------------------------------------------------------- index.content

comment on table index.content is
    'Read model of content nodes (manifest index_content): pages, posts and comments with author name, category, tags, '
    'SEO meta, a body preview and a search vector. Rebuilt by index.rebuild_content; never written directly.';
comment on column index.content.kind is 'page | post | comment';
comment on column index.content.body_preview is 'The first 500 characters of the body as plain text (HTML tags removed, whitespace collapsed).';
comment on column index.content.status is
    'content.nodes.status. Public: published (page, post) and approved (comment); drafts, scheduled, archived, pending and spam are staff-only.';
comment on column index.content.author_name is 'core.users.display_name of the author, else the local part of the email.';
comment on column index.content.tags is 'Names of the node''s tags, sorted by slug.';
comment on column index.content.tag_slugs is 'Slugs of those tags (same order as tags).';
comment on column index.content.reply_count is 'content.nodes.reply_count: approved direct replies.';
comment on column index.content.seo is 'All SEO meta: {title, description, canonicalUrl, imageUrl, robots} (keys present when set).';
comment on column index.content.search_vector is
    'Weighted, unaccented tsvector in the tenant''s text_search_config: title A; excerpt, tags, category B; body C '
    '(its first 100 000 characters); author name D.';
comment on column index.content.last_event_id is 'The outbox event whose processing last changed this row (null: reindex).';
comment on column index.content.indexed_at is 'When this row last changed.';
comment on column index.content.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.content.node_id is 'The node (content.nodes.id).';
comment on column index.content.title is 'content.nodes.title (null for comments).';
comment on column index.content.slug is 'content.nodes.slug (null for comments).';
comment on column index.content.excerpt is 'content.nodes.excerpt.';
comment on column index.content.body_format is
    'content.bodies.format (markdown | html | plain), null when the node has no body.';
comment on column index.content.author_id is 'content.nodes.author_id.';
comment on column index.content.category_id is 'content.nodes.category_id.';
comment on column index.content.category_name is 'Name of that content category.';
comment on column index.content.category_slug is 'Slug of that content category.';
comment on column index.content.parent_id is 'content.nodes.parent_id.';
comment on column index.content.depth is 'content.nodes.depth (0 for a root).';
comment on column index.content."position" is 'content.nodes.position.';
comment on column index.content.meta_title is 'content.meta.title of the node (SEO <title>).';
comment on column index.content.meta_description is 'content.meta.description of the node.';
comment on column index.content.metadata is 'content.nodes.metadata.';
comment on column index.content.published_at is 'content.nodes.published_at.';
comment on column index.content.created_at is 'content.nodes.created_at.';
comment on column index.content.updated_at is 'content.nodes.updated_at.';
comment on column index.content.last_event_type is 'Its event type (NodeUpdated, ReindexRequested, ...).';
comment on column index.content.last_event_at is 'Its occurred_at.';

select core.enable_tenant_rls('index.content');
select core.allow_analyst_read('index.content');
select core.allow_tenant_analyst_read('index.content');
grant select on index.content to rustok_analyst, rustok_app, rustok_tenant_analyst;
