-- content/api.sql: API functions called by GraphQL mutations (create / update nodes, node records).

-- Write functions for the GraphQL API (also handy from psql): a node with its body in one call, and edits.
-- Security invoker: row-level security and the module's triggers apply to the caller.
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
    else
        raise exception 'targetType: must be node or product (got %)', p_target_type
            using errcode = 'invalid_parameter_value', column = 'target_type';
    end if;
end
$$;
comment on function content._require_target(text, uuid) is
    'Internal: the target of tags or SEO meta exists in the current tenant and the acting user may change it '
    '(a product: catalog:write; a node: content._require_edit).';
grant execute on function content._require_target(text, uuid) to rustok_app;

create or replace function content.set_tags(p_target_type text, p_target_id uuid, p_names text[]) returns text[]
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('tags:manage');
    perform content._require_target(p_target_type, p_target_id);
    if exists (select 1 from unnest(coalesce(p_names, '{}')) n where btrim(n) = '') then
        raise exception 'names: a tag name cannot be empty' using errcode = 'invalid_parameter_value', column = 'name';
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
    'Set (replace) the SEO meta of a product or node: {title, description, canonicalUrl, imageUrl, robots} (absent '
    'keys are cleared), with the right to change the target. (GraphQL setSeo.)';
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
    'description, position}. Permission content:write_all. Returns the id. (GraphQL createContentCategory, '
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

create or replace function content.list_revisions(p_node_id uuid, p_limit integer default 50)
    returns table (id uuid, title text, excerpt text, format text, edited_by uuid, created_at timestamptz)
    language plpgsql stable
as $$
begin
    perform content._require_edit(array[p_node_id]);
    return query
    select r.id, r.title, r.excerpt, r.format, r.edited_by, r.created_at
    from content.revisions r
    where r.tenant_id = core.current_tenant_id() and r.node_id = p_node_id
    order by r.created_at desc, r.id desc
    limit least(greatest(coalesce(p_limit, 50), 1), 100);
end
$$;
comment on function content.list_revisions(uuid, integer) is
    'A node''s revisions, newest first (at most 100), for those who may change the node (content:write_all, or '
    'its author with content:write_own). (GraphQL Content.revisions.)';
revoke execute on function content.list_revisions(uuid, integer) from public;
grant execute on function content.list_revisions(uuid, integer) to rustok_app;

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
