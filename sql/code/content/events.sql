-- content/events.sql: content's domain events (Node*, Tag*).

-- ---------------------------------------------------------------- nodes
create or replace function content.tg_nodes__events() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, e.event_type, 'node', n.id,
               jsonb_build_object('kind', n.kind, 'status', n.status)
        from new_rows n
        cross join lateral (values ('NodeCreated'), ('NodePublished')) as e (event_type)
        where e.event_type = 'NodeCreated' or n.status = 'published';
    elsif tg_op = 'UPDATE' then
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, e.event_type, 'node', n.id,
               jsonb_strip_nulls(jsonb_build_object('kind', n.kind, 'status', n.status,
                   'old_status', case when o.status <> n.status then o.status end))
        from old_rows o
        join new_rows n using (tenant_id, id)
        cross join lateral (values ('NodeUpdated'), ('NodePublished')) as e (event_type)
        where o is distinct from n
          and (e.event_type = 'NodeUpdated' or (n.status = 'published' and o.status <> 'published'));
    else
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select o.tenant_id, 'NodeDeleted', 'node', o.id, jsonb_build_object('kind', o.kind, 'status', o.status)
        from old_rows o;
    end if;
    return null;
end
$$;
comment on function content.tg_nodes__events() is
    'AFTER statement triggers on content.nodes: NodeCreated per inserted row (+ NodePublished when inserted published); '
    'NodeUpdated per row that really changed (+ NodePublished when status became published); NodeDeleted per deleted row.';
grant execute on function content.tg_nodes__events() to rustok_app;

-- ---------------------------------------------------------------- bodies, meta, taggables (child rows)
create or replace function content._node_updated(p_tenant_ids uuid[], p_node_ids uuid[], p_reason text) returns void
    language sql volatile
as $$
    -- NodeUpdated {"reason": ...} once per distinct node that still exists (nodes deleted in the
    -- same cascade are skipped: their NodeDeleted says it all)
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, 'NodeUpdated', 'node', n.id,
           jsonb_build_object('kind', n.kind, 'status', n.status, 'reason', p_reason)
    from (select distinct u.t, u.i from unnest(p_tenant_ids, p_node_ids) as u (t, i)) as c
    join content.nodes n on n.tenant_id = c.t and n.id = c.i
$$;
comment on function content._node_updated(uuid[], uuid[], text) is
    'Internal: emit NodeUpdated {"kind","status","reason"} once per given (tenant, node) pair that still exists.';
grant execute on function content._node_updated(uuid[],uuid[],text) to rustok_app;

create or replace function content.tg_bodies__events() returns trigger
    language plpgsql volatile
as $$
declare
    v_t uuid[];
    v_n uuid[];
begin
    -- each branch names only the transition tables its event has
    if tg_op = 'INSERT' then
        select array_agg(r.tenant_id), array_agg(r.node_id) into v_t, v_n from new_rows r;
    elsif tg_op = 'UPDATE' then
        select array_agg(r.tenant_id), array_agg(r.node_id) into v_t, v_n
        from new_rows r join old_rows o using (tenant_id, node_id) where r is distinct from o;
    else
        select array_agg(r.tenant_id), array_agg(r.node_id) into v_t, v_n from old_rows r;
    end if;
    if v_t is not null then
        perform content._node_updated(v_t, v_n, 'body');
    end if;
    return null;
end
$$;
comment on function content.tg_bodies__events() is
    'AFTER statement triggers on content.bodies: NodeUpdated {"reason":"body"} for the node of every inserted, really changed or deleted body.';
grant execute on function content.tg_bodies__events() to rustok_app;

create or replace function content._targets_updated(p_tenant_ids uuid[], p_target_types text[], p_target_ids uuid[], p_reason text)
    returns void
    language sql volatile
as $$
    -- NodeUpdated for node targets that still exist, ProductUpdated for product targets;
    -- once per distinct target
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select c.t, 'NodeUpdated', 'node', n.id,
           jsonb_build_object('kind', n.kind, 'status', n.status, 'reason', p_reason)
    from (select distinct u.t, u.y, u.i from unnest(p_tenant_ids, p_target_types, p_target_ids) as u (t, y, i)) as c
    join content.nodes n on c.y = 'node' and n.tenant_id = c.t and n.id = c.i
    union all
    select c.t, 'ProductUpdated', 'product', c.i, jsonb_build_object('reason', p_reason)
    from (select distinct u.t, u.y, u.i from unnest(p_tenant_ids, p_target_types, p_target_ids) as u (t, y, i)) as c
    where c.y = 'product'
$$;
comment on function content._targets_updated(uuid[], text[], uuid[], text) is
    'Internal: emit NodeUpdated (existing node targets) or ProductUpdated (product targets) with {"reason": ...}, once per distinct target, in one insert.';
grant execute on function content._targets_updated(uuid[],text[],uuid[],text) to rustok_app;

create or replace function content.tg_meta__events() returns trigger
    language plpgsql volatile
as $$
declare
    v_t uuid[];
    v_y text[];
    v_i uuid[];
begin
    -- each branch names only the transition tables its event has
    if tg_op = 'INSERT' then
        select array_agg(r.tenant_id), array_agg(r.target_type), array_agg(r.target_id) into v_t, v_y, v_i from new_rows r;
    elsif tg_op = 'UPDATE' then
        -- the targets of really changed rows (old and new side: the key itself may have changed)
        select array_agg(x.tenant_id), array_agg(x.target_type), array_agg(x.target_id) into v_t, v_y, v_i
        from ((select * from new_rows except all select * from old_rows)
              union all
              (select * from old_rows except all select * from new_rows)) as x;
    else
        select array_agg(r.tenant_id), array_agg(r.target_type), array_agg(r.target_id) into v_t, v_y, v_i from old_rows r;
    end if;
    if v_t is not null then
        perform content._targets_updated(v_t, v_y, v_i, 'meta');
    end if;
    return null;
end
$$;
comment on function content.tg_meta__events() is
    'AFTER statement triggers on content.meta: NodeUpdated (node target) or ProductUpdated (product target) {"reason":"meta"} for every inserted, really changed or deleted row.';
grant execute on function content.tg_meta__events() to rustok_app;

create or replace function content._tag_events(p_tenant_ids uuid[], p_tag_ids uuid[], p_target_types text[], p_target_ids uuid[],
                                    p_event_types text[]) returns void
    language sql volatile
as $$
    -- one insert: TagAttached/TagDetached per pair, then NodeUpdated (existing nodes) or
    -- ProductUpdated once per distinct target
    with c as (
        select u.t, u.g, u.y, u.i, u.e
        from unnest(p_tenant_ids, p_tag_ids, p_target_types, p_target_ids, p_event_types) as u (t, g, y, i, e)
    ), targets as (
        select distinct c.t, c.y, c.i from c
    )
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select c.t, c.e, c.y, c.i, jsonb_build_object('tag_id', c.g) from c
    union all
    select n.tenant_id, 'NodeUpdated', 'node', n.id, jsonb_build_object('kind', n.kind, 'status', n.status, 'reason', 'tags')
    from targets x join content.nodes n on x.y = 'node' and n.tenant_id = x.t and n.id = x.i
    union all
    select x.t, 'ProductUpdated', 'product', x.i, jsonb_build_object('reason', 'tags')
    from targets x where x.y = 'product'
$$;
comment on function content._tag_events(uuid[], uuid[], text[], uuid[], text[]) is
    'Internal: emit TagAttached/TagDetached (aggregate = the target, payload {"tag_id"}) per pair and NodeUpdated/ProductUpdated {"reason":"tags"} per distinct target, in one insert.';
grant execute on function content._tag_events(uuid[],uuid[],text[],uuid[],text[]) to rustok_app;

create or replace function content.tg_taggables__events() returns trigger
    language plpgsql volatile
as $$
declare
    v_t uuid[];
    v_g uuid[];
    v_y text[];
    v_i uuid[];
    v_e text[];
begin
    if tg_op = 'INSERT' then
        if core._import_active() then  -- an import emits one event per target itself
            return null;
        end if;
        select array_agg(r.tenant_id), array_agg(r.tag_id), array_agg(r.target_type), array_agg(r.target_id),
               array_agg('TagAttached'::text)
        into v_t, v_g, v_y, v_i, v_e from new_rows r;
    elsif tg_op = 'UPDATE' then
        -- a changed pair is a detach of the old one and an attach of the new one
        select array_agg(x.tenant_id), array_agg(x.tag_id), array_agg(x.target_type), array_agg(x.target_id), array_agg(x.e)
        into v_t, v_g, v_y, v_i, v_e
        from (select a.tenant_id, a.tag_id, a.target_type, a.target_id, 'TagAttached' as e
              from (select tenant_id, tag_id, target_type, target_id from new_rows
                    except select tenant_id, tag_id, target_type, target_id from old_rows) as a
              union all
              select d.tenant_id, d.tag_id, d.target_type, d.target_id, 'TagDetached'
              from (select tenant_id, tag_id, target_type, target_id from old_rows
                    except select tenant_id, tag_id, target_type, target_id from new_rows) as d) as x;
    else
        select array_agg(r.tenant_id), array_agg(r.tag_id), array_agg(r.target_type), array_agg(r.target_id),
               array_agg('TagDetached'::text)
        into v_t, v_g, v_y, v_i, v_e from old_rows r;
    end if;
    if v_t is not null then
        perform content._tag_events(v_t, v_g, v_y, v_i, v_e);
    end if;
    return null;
end
$$;
comment on function content.tg_taggables__events() is
    'AFTER statement triggers on content.taggables: TagAttached / TagDetached (aggregate_type node|product, aggregate_id = target, payload {"tag_id"}) '
    'plus NodeUpdated / ProductUpdated {"reason":"tags"} per target.';
grant execute on function content.tg_taggables__events() to rustok_app;

-- ---------------------------------------------------------------- categories and tags (renames)
create or replace function content.tg_categories__events() returns trigger
    language plpgsql volatile
as $$
begin
    -- a rename or move (name, slug, parent) changes what the read model shows for every node in it
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, 'NodeUpdated', 'node', n.id,
           jsonb_build_object('kind', n.kind, 'status', n.status, 'reason', 'category_changed')
    from content.nodes n
    where (n.tenant_id, n.category_id) in (
        select r.tenant_id, r.id from new_rows r join old_rows o using (tenant_id, id)
        where (r.name, r.slug, r.parent_id) is distinct from (o.name, o.slug, o.parent_id));
    return null;
end
$$;
comment on function content.tg_categories__events() is
    'AFTER UPDATE statement trigger on content.categories: NodeUpdated {"reason":"category_changed"} for every node in a renamed or moved category (one insert). '
    'Deleting a category sets the nodes'' category_id to null, which emits their NodeUpdated itself.';
grant execute on function content.tg_categories__events() to rustok_app;

create or replace function content.tg_tags__events() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select distinct on (x.tenant_id, x.target_type, x.target_id)
           x.tenant_id, case x.target_type when 'node' then 'NodeUpdated' else 'ProductUpdated' end,
           x.target_type, x.target_id,
           case x.target_type when 'node' then jsonb_build_object('kind', n.kind, 'status', n.status, 'reason', 'tag_changed')
                else jsonb_build_object('reason', 'tag_changed') end
    from content.taggables x
    left join content.nodes n on x.target_type = 'node' and n.tenant_id = x.tenant_id and n.id = x.target_id
    where (x.tenant_id, x.tag_id) in (
        select r.tenant_id, r.id from new_rows r join old_rows o using (tenant_id, id)
        where (r.name, r.slug) is distinct from (o.name, o.slug))
      and (x.target_type = 'product' or n.id is not null);
    return null;
end
$$;
comment on function content.tg_tags__events() is
    'AFTER UPDATE statement trigger on content.tags: a renamed tag (name or slug) emits NodeUpdated / ProductUpdated {"reason":"tag_changed"} once per tagged target.';
grant execute on function content.tg_tags__events() to rustok_app;

-- ---------------------------------------------------------------- authors (trigger on core.users)
create or replace function content.tg_users__author_events() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, 'NodeUpdated', 'node', n.id,
           jsonb_build_object('kind', n.kind, 'status', n.status, 'reason', 'author_changed')
    from content.nodes n
    where (n.tenant_id, n.author_id) in (
        select r.tenant_id, r.id from new_rows r join old_rows o using (tenant_id, id)
        where r.display_name is distinct from o.display_name);
    return null;
end
$$;
comment on function content.tg_users__author_events() is
    'AFTER UPDATE statement trigger on core.users (owned by the content module): a changed display_name emits NodeUpdated {"reason":"author_changed"} for every node the user authored.';
grant execute on function content.tg_users__author_events() to rustok_app;

-- ---------------------------------------------------------------- triggers

create or replace trigger _900_content_author_events after update on core.users
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_users__author_events();
