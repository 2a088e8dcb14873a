-- content/api.sql: API functions called by GraphQL mutations (create / update nodes, node records).

-- Write functions for the GraphQL API (also handy from psql): a node with its body in one call, and edits.
-- Security invoker: row-level security and the module's triggers apply to the caller.
create or replace function content._check_category(p_category_id text) returns void
    language plpgsql stable
as $$
begin
    if p_category_id is not null and not exists (
        select from content.categories c where c.tenant_id = core.current_tenant_id() and c.id = p_category_id::uuid) then
        raise exception 'category_id: no content category %', p_category_id using errcode = 'foreign_key_violation',
            column = 'category_id';
    end if;
end
$$;
comment on function content._check_category(text) is
    'Internal: a node''s categoryId (text of a uuid, or null) names a content category of the current tenant; 23503 '
    'naming category_id otherwise (the foreign key would say it too, but without the column under row-level security).';
grant execute on function content._check_category(text) to rustok_app;

create or replace function content.create_node(p_input jsonb, p_author_id uuid default null) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_id     uuid := core.new_id();
begin
    perform core.require_permission('content:write_own');
    if v_tenant is null then
        raise exception 'content.create_node: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'content.create_node(p_input): expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(p_input->>'kind', '') not in ('page', 'post') then
        raise exception 'content.nodes.kind: create_node makes pages and posts (comments: content.add_comment), got %',
            coalesce(p_input->>'kind', 'null') using errcode = 'invalid_parameter_value', column = 'kind';
    end if;
    perform content._check_category(p_input->>'categoryId');
    insert into content.nodes (tenant_id, id, kind, parent_id, author_id, title, slug, excerpt, category_id, status,
                               position, metadata, published_at)
    values (v_tenant, v_id, p_input->>'kind', (p_input->>'parentId')::uuid, p_author_id, p_input->>'title',
            p_input->>'slug', p_input->>'excerpt', (p_input->>'categoryId')::uuid, coalesce(p_input->>'status', 'draft'),
            coalesce((p_input->>'position')::int, 0), coalesce(p_input->'metadata', '{}'),
            (p_input->>'publishedAt')::timestamptz);
    if p_input ? 'body' then
        perform content._put_body(v_tenant, v_id, p_input->>'body', coalesce(p_input->>'format', 'markdown'));
    end if;
    return v_id;
end
$$;
comment on function content.create_node(jsonb, uuid) is
    'Create a page or post with its body in one call (current tenant): {"kind","title","slug","excerpt","body","format",'
    '"status","categoryId","parentId","position","metadata","publishedAt"}. A missing slug is made from the title. Returns the id.';
grant execute on function content.create_node(jsonb,uuid) to rustok_app;

create or replace function content.update_node(p_id uuid, p_patch jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform content._require_edit(array[p_id]);
    if p_patch is null or jsonb_typeof(p_patch) <> 'object' then
        raise exception 'content.update_node(p_patch): expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    perform content._check_category(p_patch->>'categoryId');
    update content.nodes n set
        title       = case when p_patch ? 'title' then p_patch->>'title' else n.title end,
        slug        = case when p_patch ? 'slug' then p_patch->>'slug' else n.slug end,
        excerpt     = case when p_patch ? 'excerpt' then p_patch->>'excerpt' else n.excerpt end,
        category_id = case when p_patch ? 'categoryId' then (p_patch->>'categoryId')::uuid else n.category_id end,
        position    = case when p_patch ? 'position' then (p_patch->>'position')::int else n.position end,
        metadata    = case when p_patch ? 'metadata' then p_patch->'metadata' else n.metadata end
    where n.tenant_id = v_tenant and n.id = p_id;
    if not found then
        raise exception 'content.nodes.id: no node %', p_id using errcode = 'no_data_found', column = 'id';
    end if;
    if p_patch ? 'body' then
        perform content._put_body(v_tenant, p_id, p_patch->>'body', coalesce(p_patch->>'format', 'markdown'));
    end if;
    return p_id;
end
$$;
comment on function content.update_node(uuid, jsonb) is
    'Change a node''s fields given in the patch (title, slug, excerpt, categoryId, position, metadata, body, format); '
    'absent keys are left alone. Status changes go through publish/schedule/archive. Returns the id.';
grant execute on function content.update_node(uuid,jsonb) to rustok_app;

create or replace function content.node_record(p_node_id uuid) returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', n.id, 'kind', n.kind, 'parentId', n.parent_id, 'authorId', n.author_id, 'title', n.title,
        'slug', n.slug, 'excerpt', n.excerpt, 'categoryId', n.category_id, 'status', n.status,
        'position', n.position, 'depth', n.depth, 'replyCount', n.reply_count, 'metadata', n.metadata,
        'body', b.body, 'format', b.format,
        'createdAt', n.created_at, 'updatedAt', n.updated_at, 'publishedAt', n.published_at,
        'tags', coalesce((select jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name, 'slug', t.slug) order by t.slug)
                          from content.taggables x join content.tags t on t.tenant_id = x.tenant_id and t.id = x.tag_id
                          where x.tenant_id = n.tenant_id and x.target_type = 'node' and x.target_id = n.id), '[]'))
    from content.nodes n
    left join content.bodies b on b.tenant_id = n.tenant_id and b.node_id = n.id
    where n.tenant_id = core.current_tenant_id() and n.id = p_node_id
$$;
comment on function content.node_record(uuid) is
    'A node of the current tenant with its body and tags as one JSON document (write-side state, camelCase keys); null when absent.';
grant execute on function content.node_record(uuid) to rustok_app;

create or replace function content.create_tag(p_name text, p_slug text default null) returns content.tags
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_tag    content.tags;
begin
    perform core.require_permission('tags:manage');
    if v_tenant is null then
        raise exception 'content.create_tag: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    insert into content.tags (tenant_id, name, slug) values (v_tenant, p_name, p_slug)
    returning * into v_tag;
    return v_tag;
end
$$;
comment on function content.create_tag(text, text) is
    'Create a tag in the current tenant; without a slug one is made from the name (collision -> -2, -3, ...). '
    'Returns the tag row. (GraphQL createTag.)';
revoke execute on function content.create_tag(text, text) from public;
grant execute on function content.create_tag(text, text) to rustok_app;

-- ---------------------------------------------------------------- admin: tags by name, SEO meta
create or replace function content._require_target(p_target_type text, p_target_id uuid) returns void
    language plpgsql stable
as $$
begin
    if p_target_type = 'product' then
        perform core.require_permission('catalog:write');
        if not exists (select 1 from commerce.products p where p.tenant_id = core.current_tenant_id() and p.id = p_target_id) then
            raise exception 'targetId: no product %', p_target_id using errcode = 'no_data_found', column = 'target_id';
        end if;
    elsif p_target_type = 'node' then
        if not exists (select 1 from content.nodes n where n.tenant_id = core.current_tenant_id() and n.id = p_target_id) then
            raise exception 'targetId: no page, post or comment %', p_target_id using errcode = 'no_data_found', column = 'target_id';
        end if;
        perform content._require_edit(array[p_target_id]);
    elsif p_target_type = 'catalog_category' then
        perform core.require_permission('catalog:write');
        -- the meta row is content's (its triggers check that module); the category is commerce's
        perform core.assert_module_enabled(array[core.current_tenant_id()], 'commerce');
        if not exists (select 1 from commerce.categories c where c.tenant_id = core.current_tenant_id() and c.id = p_target_id) then
            raise exception 'targetId: no catalog category %', p_target_id using errcode = 'no_data_found', column = 'target_id';
        end if;
    elsif p_target_type = 'content_category' then
        perform core.require_permission('content:write_all');
        if not exists (select 1 from content.categories c where c.tenant_id = core.current_tenant_id() and c.id = p_target_id) then
            raise exception 'targetId: no content category %', p_target_id using errcode = 'no_data_found', column = 'target_id';
        end if;
    else
        raise exception 'targetType: must be node, product, catalog_category or content_category (got %)', p_target_type
            using errcode = 'invalid_parameter_value', column = 'target_type';
    end if;
end
$$;
comment on function content._require_target(text, uuid) is
    'Internal: the target of tags or SEO meta exists in the current tenant and the acting user may change it '
    '(a product or a catalog category: catalog:write; a node: content._require_edit; a content category: '
    'content:write_all). A catalog category also needs the commerce module on (55000 naming it).';
grant execute on function content._require_target(text, uuid) to rustok_app;

create or replace function content.set_tags(p_target_type text, p_target_id uuid, p_names text[]) returns text[]
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('tags:manage');
    if p_target_type is distinct from 'node' and p_target_type is distinct from 'product' then
        raise exception 'targetType: tags go on a node or a product (got %)', p_target_type
            using errcode = 'invalid_parameter_value', column = 'target_type';
    end if;
    perform content._require_target(p_target_type, p_target_id);
    if exists (select 1 from unnest(coalesce(p_names, '{}')) n where btrim(n) = '') then
        raise exception 'names: a tag name cannot be empty' using errcode = 'invalid_parameter_value', column = 'name';
    end if;
    if cardinality(p_names) > 100 then
        raise exception 'names: at most 100 tags on one product, page or post (got %)', cardinality(p_names)
            using errcode = 'check_violation', column = 'names';
    end if;
    -- missing tags are created (slug from the name), then the target's set is replaced in one pass
    insert into content.tags (tenant_id, name)
    select distinct v_tenant, btrim(n) from unnest(coalesce(p_names, '{}')) n
    where not exists (select 1 from content.tags t where t.tenant_id = v_tenant
                      and (lower(t.name) = lower(btrim(n)) or t.slug = content.slugify(n)));
    delete from content.taggables x
    where x.tenant_id = v_tenant and x.target_type = p_target_type and x.target_id = p_target_id
      and x.tag_id not in (select t.id from content.tags t, unnest(coalesce(p_names, '{}')) n
                           where t.tenant_id = v_tenant and (lower(t.name) = lower(btrim(n)) or t.slug = content.slugify(n)));
    insert into content.taggables (tenant_id, tag_id, target_type, target_id)
    select distinct v_tenant, t.id, p_target_type, p_target_id
    from content.tags t, unnest(coalesce(p_names, '{}')) n
    where t.tenant_id = v_tenant and (lower(t.name) = lower(btrim(n)) or t.slug = content.slugify(n))
    on conflict do nothing;
    return array(select t.slug from content.taggables x join content.tags t on t.tenant_id = x.tenant_id and t.id = x.tag_id
                 where x.tenant_id = v_tenant and x.target_type = p_target_type and x.target_id = p_target_id
                 order by t.slug);
end
$$;
comment on function content.set_tags(text, uuid, text[]) is
    'Set a product''s or node''s tags by name in one call (permission tags:manage, and the right to change the '
    'target): tags that do not exist are created, the target ends with exactly these. Returns the slugs. '
    '(GraphQL setTags.)';
revoke execute on function content.set_tags(text, uuid, text[]) from public;
grant execute on function content.set_tags(text, uuid, text[]) to rustok_app;

create or replace function content.set_meta(p_target_type text, p_target_id uuid, p_meta jsonb) returns void
    language plpgsql volatile
as $$
begin
    perform content._require_target(p_target_type, p_target_id);
    if p_meta is null or jsonb_typeof(p_meta) <> 'object' then
        raise exception 'input: expected an object' using errcode = 'invalid_parameter_value';
    end if;
    insert into content.meta as m (tenant_id, target_type, target_id, title, description, canonical_url, image_url, robots)
    values (core.current_tenant_id(), p_target_type, p_target_id, p_meta ->> 'title', p_meta ->> 'description',
            p_meta ->> 'canonicalUrl', p_meta ->> 'imageUrl', p_meta ->> 'robots')
    on conflict (tenant_id, target_type, target_id) do update
       set title = excluded.title, description = excluded.description, canonical_url = excluded.canonical_url,
           image_url = excluded.image_url, robots = excluded.robots;
end
$$;
comment on function content.set_meta(text, uuid, jsonb) is
    'Set (replace) the SEO meta of a product, node, catalog category (catalog_category) or content category '
    '(content_category): {title, description, canonicalUrl, imageUrl, robots} (absent keys are cleared), with the '
    'right to change the target (content._require_target). (GraphQL setSeo.)';
revoke execute on function content.set_meta(text, uuid, jsonb) from public;
grant execute on function content.set_meta(text, uuid, jsonb) to rustok_app;

-- ---------------------------------------------------------------- admin: content categories
create or replace function content.upsert_category(p_category_id uuid, p_input jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_id uuid := coalesce(p_category_id, core.new_id());
begin
    perform core.require_permission('content:write_all');
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'input: expected an object' using errcode = 'invalid_parameter_value';
    end if;
    -- the storefront's category tree is answered whole (GraphQL contentCategories): at most 1,000 per shop
    if p_category_id is null
       and (select count(*) from content.categories c where c.tenant_id = core.current_tenant_id()) >= 1000 then
        raise exception 'input: a shop has at most 1000 content categories' using errcode = 'check_violation';
    end if;
    if p_category_id is null then
        insert into content.categories (tenant_id, id, parent_id, name, slug, description, position)
        values (core.current_tenant_id(), v_id, (p_input->>'parentId')::uuid, p_input->>'name', p_input->>'slug',
                p_input->>'description', coalesce((p_input->>'position')::int, 0));
    else
        update content.categories c set
            parent_id   = case when p_input ? 'parentId' then (p_input->>'parentId')::uuid else c.parent_id end,
            name        = case when p_input ? 'name' then p_input->>'name' else c.name end,
            slug        = case when p_input ? 'slug' then p_input->>'slug' else c.slug end,
            description = case when p_input ? 'description' then p_input->>'description' else c.description end,
            position    = case when p_input ? 'position' then (p_input->>'position')::int else c.position end
        where c.tenant_id = core.current_tenant_id() and c.id = p_category_id;
        if not found then
            raise exception 'id: no content category %', p_category_id using errcode = 'no_data_found', column = 'id';
        end if;
    end if;
    return v_id;
end
$$;
comment on function content.upsert_category(uuid, jsonb) is
    'Create (p_category_id null) or change a content category: {parentId, name, slug (from the name when absent), '
    'description, position}. Permission content:write_all. At most 1,000 per shop (the storefront''s tree is answered '
    'whole): a new one past that is refused (23514). Returns the id. (GraphQL createContentCategory, '
    'updateContentCategory.)';
revoke execute on function content.upsert_category(uuid, jsonb) from public;
grant execute on function content.upsert_category(uuid, jsonb) to rustok_app;

create or replace function content.delete_category(p_category_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('content:write_all');
    delete from content.categories c where c.tenant_id = core.current_tenant_id() and c.id = p_category_id;
    return found;
end
$$;
comment on function content.delete_category(uuid) is
    'Delete a content category (its children become roots, its nodes lose the category). Permission '
    'content:write_all. False when there was none. (GraphQL deleteContentCategory.)';
revoke execute on function content.delete_category(uuid) from public;
grant execute on function content.delete_category(uuid) to rustok_app;

create or replace function content.page_revisions(p_node_id uuid, p_after jsonb, p_before jsonb, p_limit integer,
                                                   p_from_end boolean default false)
    returns table (id uuid, title text, excerpt text, format text, edited_by uuid, created_at timestamptz, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform content._require_edit(array[p_node_id]);
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'newest', array['timestamptz', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'newest', array['timestamptz', 'uuid'], 'before');
    if not coalesce(p_from_end, false) then
        return query
        select r.id, r.title, r.excerpt, r.format, r.edited_by, r.created_at,
               jsonb_build_object('s', 'newest', 'k', jsonb_build_array(r.created_at, r.id))
        from content.revisions r
        where r.tenant_id = core.current_tenant_id() and r.node_id = p_node_id
          and (v_after is null or (r.created_at, r.id) < (v_after[1]::timestamptz, v_after[2]::uuid))
          and (v_before is null or (r.created_at, r.id) > (v_before[1]::timestamptz, v_before[2]::uuid))
        order by r.created_at desc, r.id desc
        limit p_limit + 1;
    else
        return query
        select r.id, r.title, r.excerpt, r.format, r.edited_by, r.created_at,
               jsonb_build_object('s', 'newest', 'k', jsonb_build_array(r.created_at, r.id))
        from content.revisions r
        where r.tenant_id = core.current_tenant_id() and r.node_id = p_node_id
          and (v_after is null or (r.created_at, r.id) < (v_after[1]::timestamptz, v_after[2]::uuid))
          and (v_before is null or (r.created_at, r.id) > (v_before[1]::timestamptz, v_before[2]::uuid))
        order by r.created_at, r.id
        limit p_limit + 1;
    end if;
end
$$;
comment on function content.page_revisions(uuid, jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of a node''s revisions, newest first '
    '(created_at, then id; cursors {"s": "newest", "k": [created_at, id]} after / before; p_from_end pages backwards), '
    'for those who may change the node (content:write_all, or its author with content:write_own). '
    '(GraphQL Content.revisions.)';
revoke execute on function content.page_revisions(uuid, jsonb, jsonb, integer, boolean) from public;
grant execute on function content.page_revisions(uuid, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function content.count_revisions(p_node_id uuid, p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
begin
    perform content._require_edit(array[p_node_id]);
    return (select count(*)::int from (
        select 1 from content.revisions r
        where r.tenant_id = core.current_tenant_id() and r.node_id = p_node_id limit p_cap) x);
end
$$;
comment on function content.count_revisions(uuid, integer) is
    'How many revisions a node has, counted up to p_cap, for those who may change it. '
    '(GraphQL Content.revisions.totalCount.)';
revoke execute on function content.count_revisions(uuid, integer) from public;
grant execute on function content.count_revisions(uuid, integer) to rustok_app;

create or replace function content.delete_node(p_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    perform content._require_edit(array[p_id]);
    delete from content.nodes n where n.tenant_id = core.current_tenant_id() and n.id = p_id;
    if not found then
        raise exception 'content.nodes.id: no node %', p_id using errcode = 'no_data_found', column = 'id';
    end if;
    return true;
end
$$;
comment on function content.delete_node(uuid) is
    'Delete a page, post or comment of the current tenant (its author, or content:write_all); its body, revisions, '
    'replies, tags and meta go with it (NodeDeleted). (GraphQL deleteNode.)';
revoke execute on function content.delete_node(uuid) from public;
grant execute on function content.delete_node(uuid) to rustok_app;

-- ---------------------------------------------------------------- admin: tag management
create or replace function content.list_tags(
    p_search text, p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean
) returns table (id uuid, name text, slug text, product_count integer, content_count integer,
                 created_at timestamptz, updated_at timestamptz, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_pattern text := case when nullif(btrim(p_search), '') is null then null
                           else '%' || replace(replace(replace(btrim(p_search), '\', '\\'), '%', '\%'), '_', '\_') || '%' end;
    v_after_name  text;
    v_after_id    uuid;
    v_before_name text;
    v_before_id   uuid;
begin
    perform core.require_permission('tags:manage');
    if p_limit is null or p_limit < 0 or p_limit > 101 then
        raise exception 'first: between 0 and 100' using errcode = 'invalid_parameter_value', column = 'first';
    end if;
    -- a cursor is {"s": "name", "k": [lower(name), id]} (rustok.graphql.paging)
    begin
        if p_after is not null then
            if p_after ->> 's' is distinct from 'name' or jsonb_array_length(p_after -> 'k') <> 2 then
                raise exception 'bad cursor';
            end if;
            v_after_name := p_after -> 'k' ->> 0;
            v_after_id := (p_after -> 'k' ->> 1)::uuid;
        end if;
        if p_before is not null then
            if p_before ->> 's' is distinct from 'name' or jsonb_array_length(p_before -> 'k') <> 2 then
                raise exception 'bad cursor';
            end if;
            v_before_name := p_before -> 'k' ->> 0;
            v_before_id := (p_before -> 'k' ->> 1)::uuid;
        end if;
    exception when others then
        raise exception 'after: not a cursor of this list (take cursors from edges or pageInfo)'
            using errcode = 'invalid_parameter_value', column = 'after';
    end;
    return query
    with page as (
        select t.tenant_id, t.id, t.name, t.slug, t.created_at, t.updated_at, lower(t.name) as sort_name
        from content.tags t
        where t.tenant_id = core.current_tenant_id()
          and (v_pattern is null or t.name ilike v_pattern or t.slug ilike v_pattern)
          and (v_after_id is null or (lower(t.name), t.id) > (v_after_name, v_after_id))
          and (v_before_id is null or (lower(t.name), t.id) < (v_before_name, v_before_id))
        order by case when p_from_end then null else lower(t.name) end asc,
                 case when p_from_end then null else t.id end asc,
                 case when p_from_end then lower(t.name) end desc,
                 case when p_from_end then t.id end desc
        limit p_limit
    )
    select p.id, p.name, p.slug,
           (select count(*)::int from content.taggables x
            where x.tenant_id = p.tenant_id and x.tag_id = p.id and x.target_type = 'product'),
           (select count(*)::int from content.taggables x
            where x.tenant_id = p.tenant_id and x.tag_id = p.id and x.target_type = 'node'),
           p.created_at, p.updated_at,
           jsonb_build_object('s', 'name', 'k', jsonb_build_array(p.sort_name, p.id))
    from page p
    order by case when p_from_end then null else p.sort_name end asc,
             case when p_from_end then null else p.id end asc,
             case when p_from_end then p.sort_name end desc,
             case when p_from_end then p.id end desc;
end
$$;
comment on function content.list_tags(text, jsonb, jsonb, integer, boolean) is
    'A page of the current tenant''s tags by name (case-insensitive, then id) for the admin: p_search matches a part '
    'of the name or slug; keyset cursors {"s": "name", "k": [lower(name), id]} after / before; p_from_end pages '
    'backwards (rows nearest the before cursor first). Each tag with how many products and pages/posts carry it. '
    'Permission tags:manage. (GraphQL staffTags.)';
revoke execute on function content.list_tags(text, jsonb, jsonb, integer, boolean) from public;
grant execute on function content.list_tags(text, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function content.count_tags(p_search text, p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
declare
    v_pattern text := case when nullif(btrim(p_search), '') is null then null
                           else '%' || replace(replace(replace(btrim(p_search), '\', '\\'), '%', '\%'), '_', '\_') || '%' end;
begin
    perform core.require_permission('tags:manage');
    return (select count(*)::int from (
        select 1 from content.tags t
        where t.tenant_id = core.current_tenant_id()
          and (v_pattern is null or t.name ilike v_pattern or t.slug ilike v_pattern)
        limit p_cap) x);
end
$$;
comment on function content.count_tags(text, integer) is
    'How many of the current tenant''s tags match p_search (as content.list_tags), counted up to p_cap. Permission '
    'tags:manage. (GraphQL staffTags.totalCount.)';
revoke execute on function content.count_tags(text, integer) from public;
grant execute on function content.count_tags(text, integer) to rustok_app;

create or replace function content.rename_tag(p_tag_id uuid, p_name text, p_slug text default null) returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('tags:manage');
    if p_name is null or btrim(p_name) = '' then
        raise exception 'name: a tag needs a name' using errcode = 'invalid_parameter_value', column = 'name';
    end if;
    update content.tags t
    set name = btrim(p_name), slug = coalesce(nullif(btrim(p_slug), ''), t.slug)
    where t.tenant_id = core.current_tenant_id() and t.id = p_tag_id;
    if not found then
        raise exception 'id: no tag %', p_tag_id using errcode = 'no_data_found', column = 'id';
    end if;
    return p_tag_id;
end
$$;
comment on function content.rename_tag(uuid, text, text) is
    'Rename a tag of the current tenant (and change its slug when p_slug is given; a slug in use is refused, 23505). '
    'Every product and page/post carrying it is reindexed (content.tg_tags__events). Permission tags:manage. '
    '(GraphQL renameTag.)';
revoke execute on function content.rename_tag(uuid, text, text) from public;
grant execute on function content.rename_tag(uuid, text, text) to rustok_app;

create or replace function content.merge_tags(p_source_ids uuid[], p_target_id uuid) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant  uuid := core.current_tenant_id();
    v_missing uuid;
begin
    perform core.require_permission('tags:manage');
    if coalesce(cardinality(p_source_ids), 0) = 0 then
        raise exception 'sourceIds: name at least one tag to merge into the target'
            using errcode = 'invalid_parameter_value', column = 'source_ids';
    end if;
    if p_target_id = any (p_source_ids) then
        raise exception 'sourceIds: the target tag cannot be merged into itself'
            using errcode = 'invalid_parameter_value', column = 'source_ids';
    end if;
    -- lock the tags involved (a concurrent rename or merge of one of them waits)
    perform 1 from content.tags t
    where t.tenant_id = v_tenant and (t.id = p_target_id or t.id = any (p_source_ids))
    order by t.id for update;
    if not exists (select from content.tags t where t.tenant_id = v_tenant and t.id = p_target_id) then
        raise exception 'targetId: no tag %', p_target_id using errcode = 'no_data_found', column = 'target_id';
    end if;
    select s into v_missing from unnest(p_source_ids) s
    where not exists (select from content.tags t where t.tenant_id = v_tenant and t.id = s) limit 1;
    if v_missing is not null then
        raise exception 'sourceIds: no tag %', v_missing using errcode = 'no_data_found', column = 'source_ids';
    end if;
    -- what carried a source tag carries the target (once), then the sources go (their links with them)
    insert into content.taggables (tenant_id, tag_id, target_type, target_id)
    select distinct v_tenant, p_target_id, x.target_type, x.target_id
    from content.taggables x
    where x.tenant_id = v_tenant and x.tag_id = any (p_source_ids)
    on conflict do nothing;
    delete from content.tags t where t.tenant_id = v_tenant and t.id = any (p_source_ids);
    return p_target_id;
end
$$;
comment on function content.merge_tags(uuid[], uuid) is
    'Merge tags into one: every product and page/post carrying a source tag carries the target tag instead (once), '
    'and the source tags are deleted. One transaction; the targets are reindexed through their TagAttached / '
    'TagDetached events. Permission tags:manage. Returns the target id. (GraphQL mergeTags.)';
revoke execute on function content.merge_tags(uuid[], uuid) from public;
grant execute on function content.merge_tags(uuid[], uuid) to rustok_app;

create or replace function content.delete_tag(p_tag_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('tags:manage');
    delete from content.tags t where t.tenant_id = core.current_tenant_id() and t.id = p_tag_id;
    if not found then
        raise exception 'id: no tag %', p_tag_id using errcode = 'no_data_found', column = 'id';
    end if;
    return true;
end
$$;
comment on function content.delete_tag(uuid) is
    'Delete a tag of the current tenant; it is detached from every product and page/post (TagDetached, reindexed). '
    'Permission tags:manage. (GraphQL deleteTag.)';
revoke execute on function content.delete_tag(uuid) from public;
grant execute on function content.delete_tag(uuid) to rustok_app;
