-- content/comments.sql: threaded comments: depth limit, reply counts, moderation.

create or replace function content.max_comment_depth(p_tenant_id uuid) returns integer
    language plpgsql stable
as $$
declare
    v_raw text;
begin
    select tm.settings ->> 'max_comment_depth' into v_raw
    from core.tenant_modules tm
    where tm.tenant_id = p_tenant_id and tm.module_slug = 'blog';
    if v_raw is null then
        return 10;
    end if;
    if v_raw !~ '^[0-9]{1,4}$' or v_raw::int < 1 then
        raise exception 'core.tenant_modules.settings: blog max_comment_depth must be a positive integer, got %', v_raw
            using errcode = 'invalid_parameter_value', column = 'settings';
    end if;
    return v_raw::int;
end
$$;
comment on function content.max_comment_depth(uuid) is
    'The deepest allowed comment level for a tenant: core.tenant_modules.settings->max_comment_depth of module blog, default 10. A top-level comment has depth 1.';
grant execute on function content.max_comment_depth(uuid) to rustok_app;

-- reply_count = number of direct child comments with status approved. Increments (not
-- recounts) keep it exact under concurrent writers: each UPDATE re-reads the latest committed
-- parent row under its row lock. One trigger per event (transition tables serve one event).
create or replace function content.tg_nodes__reply_count_ins() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select from new_rows n where n.kind = 'comment' and n.status = 'approved') then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    update content.nodes p set reply_count = p.reply_count + d.n
    from (select n.tenant_id, n.parent_id, count(*)::int as n from new_rows n
          where n.kind = 'comment' and n.status = 'approved' group by 1, 2) as d
    where p.tenant_id = d.tenant_id and p.id = d.parent_id;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__reply_count_ins() is
    'AFTER INSERT statement trigger on content.nodes: adds inserted approved comments to their parents'' reply_count.';
grant execute on function content.tg_nodes__reply_count_ins() to rustok_app;

create or replace function content.tg_nodes__reply_count_del() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select from old_rows o where o.kind = 'comment' and o.status = 'approved') then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    update content.nodes p set reply_count = p.reply_count - d.n
    from (select o.tenant_id, o.parent_id, count(*)::int as n from old_rows o
          where o.kind = 'comment' and o.status = 'approved' group by 1, 2) as d
    where p.tenant_id = d.tenant_id and p.id = d.parent_id;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__reply_count_del() is
    'AFTER DELETE statement trigger on content.nodes: removes deleted approved comments from their parents'' reply_count (parents deleted in the same cascade are skipped).';
grant execute on function content.tg_nodes__reply_count_del() to rustok_app;

create or replace function content.tg_nodes__reply_count_upd() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select from new_rows n join old_rows o using (tenant_id, id)
                   where n.kind = 'comment' and (n.status = 'approved') <> (o.status = 'approved')) then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    update content.nodes p set reply_count = p.reply_count + d.delta
    from (select n.tenant_id, n.parent_id,
                 sum((n.status = 'approved')::int - (o.status = 'approved')::int)::int as delta
          from new_rows n join old_rows o using (tenant_id, id)
          where n.kind = 'comment'
          group by 1, 2) as d
    where p.tenant_id = d.tenant_id and p.id = d.parent_id and d.delta <> 0;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__reply_count_upd() is
    'AFTER UPDATE statement trigger on content.nodes: adjusts parents'' reply_count when comments become or stop being approved (a comment''s parent cannot change).';
grant execute on function content.tg_nodes__reply_count_upd() to rustok_app;

create or replace function content.add_comment(p_parent_id uuid, p_author_id uuid, p_body text,
                                    p_format text default 'markdown', p_status text default 'pending')
    returns content.nodes
    language plpgsql volatile
as $$
declare
    v_tenant uuid;
    v_node   content.nodes;
begin
    perform core.require_permission('content:comment');
    if p_body is null or btrim(p_body) = '' then
        raise exception 'content.bodies.body: a comment needs a non-empty body'
            using errcode = 'invalid_parameter_value', column = 'body';
    end if;
    select n.tenant_id into v_tenant from content.nodes n
    where n.id = p_parent_id and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id());
    if not found then
        raise exception 'content.nodes.parent_id: node % not found', p_parent_id
            using errcode = 'no_data_found', column = 'parent_id';
    end if;
    insert into content.nodes (tenant_id, parent_id, author_id, kind, status)
    values (v_tenant, p_parent_id, p_author_id, 'comment', p_status)
    returning * into v_node;
    perform content._put_body(v_tenant, v_node.id, p_body, p_format);
    return v_node;
end
$$;
comment on function content.add_comment(uuid, uuid, text, text, text) is
    'Add a comment (node + body) under a post or a comment. Status pending by default (approved to publish directly). Depth limit, parent state and module blog are enforced by triggers. Returns the comment node.';
grant execute on function content.add_comment(uuid,uuid,text,text,text) to rustok_app;

create or replace function content.moderate_comments(p_comment_ids uuid[], p_status text) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    perform core.require_permission('content:moderate');
    if p_status is null or p_status not in ('pending', 'approved', 'spam') then
        raise exception 'status: must be pending, approved or spam, got %', p_status
            using errcode = 'invalid_parameter_value';
    end if;
    perform content._require_nodes(p_comment_ids, array['comment'], 'ids');
    return query
        update content.nodes n set status = p_status
        where n.id = any (p_comment_ids) and n.kind = 'comment' and n.status <> p_status
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.moderate_comments(uuid[], text) is
    'Set the moderation status (pending | approved | spam) of comments; parents'' reply_count follows. Returns the changed rows.';
grant execute on function content.moderate_comments(uuid[],text) to rustok_app;

create or replace function content.recount_replies(p_tenant_id uuid) returns bigint
    language plpgsql volatile
as $$
declare
    v_fixed bigint;
begin
    perform set_config('rustok.content_internal', 'on', true);
    with counts as (
        select p.tenant_id, p.id,
               (select count(*) from content.nodes c
                where c.tenant_id = p.tenant_id and c.parent_id = p.id
                  and c.kind = 'comment' and c.status = 'approved')::int as n
        from content.nodes p where p.tenant_id = p_tenant_id
    )
    update content.nodes t set reply_count = c.n
    from counts c where t.tenant_id = c.tenant_id and t.id = c.id and t.reply_count <> c.n;
    get diagnostics v_fixed = row_count;
    perform set_config('rustok.content_internal', '', true);
    return v_fixed;
end
$$;
comment on function content.recount_replies(uuid) is
    'Operator check: recompute reply_count of every node of a tenant from scratch; returns how many were wrong (0 means the triggers kept them exact).';
grant execute on function content.recount_replies(uuid) to rustok_app;
