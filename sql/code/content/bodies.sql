-- content/bodies.sql: node bodies (heavy text, kept apart from nodes).

-- The one way our functions write a body: insert, or change it only when it differs (no revision, no event
-- and no dead tuple for an unchanged body).
create or replace function content._put_body(p_tenant_id uuid, p_node_id uuid, p_body text, p_format text) returns void
    language sql volatile
as $$
    insert into content.bodies as b (tenant_id, node_id, body, format)
    values (p_tenant_id, p_node_id, p_body, p_format)
    on conflict (tenant_id, node_id) do update set body = excluded.body, format = excluded.format
    where (b.body, b.format) is distinct from (excluded.body, excluded.format)
$$;
comment on function content._put_body(uuid, uuid, text, text) is
    'Internal: write a node''s body (insert, or update when body or format differ). Used by create_node, update_node, '
    'add_comment and restore_revision; runs as the caller, so row-level security applies.';
grant execute on function content._put_body(uuid,uuid,text,text) to rustok_app;

create or replace function content.tg_bodies__before_write() returns trigger
    language plpgsql volatile
as $$
declare
    v_config regconfig;
begin
    if tg_op = 'UPDATE' and (new.tenant_id, new.node_id) is distinct from (old.tenant_id, old.node_id) then
        raise exception 'content.bodies.node_id: a body cannot move to another node'
            using errcode = 'check_violation', column = 'node_id';
    end if;
    if tg_op = 'INSERT' or new.body is distinct from old.body or new.format is distinct from old.format
       or new.search_vector is distinct from old.search_vector then
        select t.text_search_config into v_config from core.tenants t where t.id = new.tenant_id;
        new.search_vector := to_tsvector(coalesce(v_config, 'simple'::regconfig),
            case new.format when 'html' then regexp_replace(new.body, '<[^>]*>', ' ', 'g') else new.body end);
        new.updated_at := now();
    end if;
    return new;
end
$$;
comment on function content.tg_bodies__before_write() is
    'BEFORE INSERT/UPDATE on content.bodies: keeps the body on its node and computes search_vector and updated_at.';
grant execute on function content.tg_bodies__before_write() to rustok_app;

create or replace function content.tg_bodies__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module('content.bodies',
        array(select distinct b.tenant_id from new_rows b
              join content.nodes n on n.tenant_id = b.tenant_id and n.id = b.node_id where n.kind = 'page'), 'content');
    perform content._assert_module('content.bodies',
        array(select distinct b.tenant_id from new_rows b
              join content.nodes n on n.tenant_id = b.tenant_id and n.id = b.node_id where n.kind <> 'page'), 'blog');
    return null;
end
$$;
comment on function content.tg_bodies__assert_module() is
    'AFTER INSERT/UPDATE statement trigger on content.bodies: refuses (55000) writes when the node''s module (content or blog) is disabled for its tenant.';
grant execute on function content.tg_bodies__assert_module() to rustok_app;

-- ---------------------------------------------------------------- content.bodies

comment on table content.bodies is
    'The heavy text of a node, kept apart from content.nodes (one row per node at most). Module: that of the node (content for pages, blog otherwise).';
comment on column content.bodies.body is 'The text, at most 1 MiB.';
comment on column content.bodies.format is 'markdown | html | plain';
comment on column content.bodies.search_vector is
    'Computed: to_tsvector(tenant''s text_search_config, body with HTML tags stripped). Maintained by trigger; read-only.';
comment on column content.bodies.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.bodies.node_id is 'The node this is the body of (same tenant; at most one body per node).';
comment on column content.bodies.updated_at is 'When the body last changed (set by its BEFORE trigger).';

select core.enable_tenant_rls('content.bodies');
grant select, insert, update, delete on content.bodies to rustok_app;

create or replace trigger _200_before_write before insert or update on content.bodies
    for each row
    execute function content.tg_bodies__before_write();

create or replace trigger _300_assert_module_ins after insert on content.bodies
    referencing new table as new_rows for each statement
    execute function content.tg_bodies__assert_module();

create or replace trigger _300_assert_module_upd after update on content.bodies
    referencing new table as new_rows for each statement
    execute function content.tg_bodies__assert_module();

create or replace trigger _600_revisions_del after delete on content.bodies
    referencing old table as old_rows for each statement
    execute function content.tg_bodies__revisions();

create or replace trigger _600_revisions_upd after update on content.bodies
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_bodies__revisions();

create or replace trigger _900_events_del after delete on content.bodies
    referencing old table as old_rows for each statement
    execute function content.tg_bodies__events();

create or replace trigger _900_events_ins after insert on content.bodies
    referencing new table as new_rows for each statement
    execute function content.tg_bodies__events();

create or replace trigger _900_events_upd after update on content.bodies
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_bodies__events();
