-- content/publishing.sql: publish, schedule, archive; publishing what is due.

-- ================================================================ API and operator functions
create or replace function content._require_nodes(p_ids uuid[], p_kinds text[], p_what text) returns void
    language plpgsql stable
as $$
declare
    v_missing uuid[];
begin
    if p_ids is null or cardinality(p_ids) = 0 then
        raise exception '%: give at least one node id', p_what using errcode = 'invalid_parameter_value';
    end if;
    select array_agg(i) into v_missing
    from unnest(p_ids) as i
    where not exists (select from content.nodes n
                      where n.id = i and n.kind = any (p_kinds)
                        and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id()));
    if v_missing is not null then
        raise exception '%: no % with id %', p_what, array_to_string(p_kinds, ' or '), array_to_string(v_missing, ', ')
            using errcode = 'no_data_found';
    end if;
end
$$;
comment on function content._require_nodes(uuid[], text[], text) is
    'Internal: raise P0002 naming the ids that are not nodes of the given kinds (in the current tenant, when one is set).';
grant execute on function content._require_nodes(uuid[],text[],text) to rustok_app;

create or replace function content.publish_nodes(p_node_ids uuid[]) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    perform core.require_permission('content:publish');
    perform content._require_nodes(p_node_ids, array['page', 'post'], 'ids');
    return query
        update content.nodes n set status = 'published'
        where n.id = any (p_node_ids) and n.status <> 'published'
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.publish_nodes(uuid[]) is
    'Publish pages/posts now (draft or scheduled -> published; published_at = now, or the scheduled moment if already past). Already published ones are left alone. Returns the changed rows. 55000 on an invalid transition, P0002 on an unknown id.';
grant execute on function content.publish_nodes(uuid[]) to rustok_app;

create or replace function content.schedule_nodes(p_node_ids uuid[], p_publish_at timestamptz) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    perform core.require_permission('content:publish');
    if p_publish_at is null or p_publish_at <= now() then
        raise exception 'at: must be in the future, got %', p_publish_at
            using errcode = 'invalid_parameter_value', column = 'at';
    end if;
    perform content._require_nodes(p_node_ids, array['page', 'post'], 'ids');
    return query
        update content.nodes n set status = 'scheduled', published_at = p_publish_at
        where n.id = any (p_node_ids)
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.schedule_nodes(uuid[], timestamptz) is
    'Schedule pages/posts to be published at a future moment (status scheduled). content.publish_due() publishes them when due. Returns the rows.';
grant execute on function content.schedule_nodes(uuid[],timestamp with time zone) to rustok_app;

create or replace function content.archive_nodes(p_node_ids uuid[]) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    perform core.require_permission('content:publish');
    perform content._require_nodes(p_node_ids, array['page', 'post'], 'ids');
    return query
        update content.nodes n set status = 'archived'
        where n.id = any (p_node_ids) and n.status <> 'archived'
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.archive_nodes(uuid[]) is
    'Archive pages/posts (draft, scheduled or published -> archived). Returns the changed rows.';
grant execute on function content.archive_nodes(uuid[]) to rustok_app;

create or replace function content.publish_due() returns table (tenant_id uuid, id uuid, kind text, slug text, published_at timestamptz)
    language sql volatile
as $$
    update content.nodes n set status = 'published'
    where n.status = 'scheduled' and n.published_at <= now()
    returning n.tenant_id, n.id, n.kind, n.slug, n.published_at
$$;
comment on function content.publish_due() is
    'Operator/cron: publish every scheduled node whose published_at has come (keeps the scheduled published_at). Returns what it published. Under rustok_app only the current tenant''s nodes.';
grant execute on function content.publish_due() to rustok_app;
