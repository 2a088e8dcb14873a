-- content/revisions.sql: revisions of nodes and bodies, and restoring one.

create or replace function content.tg_nodes__revisions() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    insert into content.revisions (tenant_id, node_id, title, excerpt, body, format, edited_by)
    select o.tenant_id, o.id, o.title, o.excerpt, b.body, b.format, content._current_user_id()
    from old_rows o
    join new_rows n using (tenant_id, id)
    left join content.bodies b on b.tenant_id = o.tenant_id and b.node_id = o.id
    where (o.title, o.excerpt) is distinct from (n.title, n.excerpt);
    return null;
end
$$;
comment on function content.tg_nodes__revisions() is
    'AFTER UPDATE statement trigger on content.nodes: stores a revision (previous title, excerpt and body) for every node whose title or excerpt changed.';
-- definer (writes revisions the app may not write); a trigger function: nobody needs EXECUTE
revoke all on function content.tg_nodes__revisions() from public, rustok_app, rustok_analyst;

create or replace function content.tg_bodies__revisions() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    if tg_op = 'UPDATE' then
        insert into content.revisions (tenant_id, node_id, title, excerpt, body, format, edited_by)
        select o.tenant_id, o.node_id, n.title, n.excerpt, o.body, o.format, content._current_user_id()
        from old_rows o
        join new_rows b using (tenant_id, node_id)
        join content.nodes n on n.tenant_id = o.tenant_id and n.id = o.node_id
        where (o.body, o.format) is distinct from (b.body, b.format);
    else
        -- a deleted body (not its node: the join skips nodes deleted in the same cascade)
        insert into content.revisions (tenant_id, node_id, title, excerpt, body, format, edited_by)
        select o.tenant_id, o.node_id, n.title, n.excerpt, o.body, o.format, content._current_user_id()
        from old_rows o
        join content.nodes n on n.tenant_id = o.tenant_id and n.id = o.node_id;
    end if;
    return null;
end
$$;
comment on function content.tg_bodies__revisions() is
    'AFTER UPDATE/DELETE statement trigger on content.bodies: stores a revision (title, excerpt and the previous body) when a body changes or is removed.';
revoke all on function content.tg_bodies__revisions() from public, rustok_app, rustok_analyst;

create or replace function content.restore_revision(p_revision_id uuid) returns content.nodes
    language plpgsql volatile
as $$
declare
    v_rev  content.revisions;
    v_node content.nodes;
begin
    select r.* into v_rev from content.revisions r
    where r.id = p_revision_id and (core.current_tenant_id() is null or r.tenant_id = core.current_tenant_id());
    if not found then
        raise exception 'content.revisions.id: revision % not found', p_revision_id
            using errcode = 'no_data_found', column = 'id';
    end if;
    perform content._require_edit(array[v_rev.node_id]);
    update content.nodes n set title = v_rev.title, excerpt = v_rev.excerpt
    where n.tenant_id = v_rev.tenant_id and n.id = v_rev.node_id
    returning n.* into v_node;
    if v_rev.body is null then
        delete from content.bodies b where b.tenant_id = v_rev.tenant_id and b.node_id = v_rev.node_id;
    else
        perform content._put_body(v_rev.tenant_id, v_rev.node_id, v_rev.body, v_rev.format);
    end if;
    return v_node;
end
$$;
comment on function content.restore_revision(uuid) is
    'Restore a node''s title, excerpt and body to a revision. The state replaced is itself kept as a new revision, so a restore can be undone. Returns the node.';
grant execute on function content.restore_revision(uuid) to rustok_app;

-- ---------------------------------------------------------------- content.revisions

comment on table content.revisions is
    'History of a node''s title, excerpt and body: each change of any of them stores the values BEFORE the change (a full snapshot). '
    'Written by (security definer) triggers only, read-only for the app; restore with content.restore_revision(id).';
comment on column content.revisions.title is 'The node''s title before the change.';
comment on column content.revisions.excerpt is 'The node''s excerpt before the change.';
comment on column content.revisions.body is 'The node''s body before the change (null: the node had no body row).';
comment on column content.revisions.format is 'The body format before the change.';
comment on column content.revisions.edited_by is 'Who made the change (setting rustok.user_id of the writing transaction), null when unknown (psql).';
comment on column content.revisions.created_at is 'When the change was made (clock time, so several changes in one transaction keep their order).';
comment on column content.revisions.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.revisions.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column content.revisions.node_id is 'The node whose earlier state this is (same tenant).';

select core.enable_tenant_rls('content.revisions');
grant select on content.revisions to rustok_app;
