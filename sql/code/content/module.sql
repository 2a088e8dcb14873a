-- content/module.sql: content module guards: the module toggle, the acting user, internal writes.

create or replace function content._current_user_id() returns uuid
    language sql stable parallel safe
as $$ select nullif(current_setting('rustok.user_id', true), '')::uuid $$;
comment on function content._current_user_id() is
    'Internal: the acting user of this transaction (setting rustok.user_id, set by the API next to rustok.tenant_id), or null (psql, jobs). Recorded as content.revisions.edited_by.';
grant execute on function content._current_user_id() to rustok_app;

create or replace function content._internal() returns boolean
    language sql stable parallel safe
as $$ select coalesce(current_setting('rustok.content_internal', true), '') = 'on' $$;
comment on function content._internal() is
    'Internal: true while a content trigger maintains computed columns (depth, reply_count); direct writes of those columns are refused otherwise.';
grant execute on function content._internal() to rustok_app;

create or replace function content._assert_module(p_table text, p_tenant_ids uuid[], p_module text) returns void
    language plpgsql volatile
as $$
declare
    v_hint text;
begin
    if coalesce(cardinality(p_tenant_ids), 0) = 0 then
        return;
    end if;
    perform core.assert_module_enabled(p_tenant_ids, p_module);
exception when object_not_in_prerequisite_state then
    get stacked diagnostics v_hint = pg_exception_hint;
    raise exception '%: %', p_table, sqlerrm
        using errcode = 'object_not_in_prerequisite_state', hint = v_hint;
end
$$;
comment on function content._assert_module(text, uuid[], text) is
    'Internal: core.assert_module_enabled with the written table named in the message, e.g. ''content.nodes: module "blog" is disabled for tenant ...'' (SQLSTATE 55000).';
grant execute on function content._assert_module(text,uuid[],text) to rustok_app;

create or replace function content.tg__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    -- argv: table name, module slug
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module(tg_argv[0], array(select distinct r.tenant_id from new_rows r), tg_argv[1]);
    return null;
end
$$;
comment on function content.tg__assert_module() is
    'AFTER INSERT/UPDATE statement trigger (arguments: table name, module): refuses (55000) writes for tenants with that module disabled.';
grant execute on function content.tg__assert_module() to rustok_app;

create or replace function content._require_edit(p_node_ids uuid[]) returns void
    language plpgsql stable
as $$
begin
    if core.has_permission('content:write_all') then
        return;
    end if;
    perform core.require_permission('content:write_own');
    if exists (select 1 from content.nodes n
               where n.tenant_id = core.current_tenant_id() and n.id = any (p_node_ids)
                 and n.author_id is distinct from core.current_user_id()) then
        raise exception 'content.nodes.author_id: you may change only pages and posts you authored (permission content:write_all is required for others)'
            using errcode = 'insufficient_privilege', column = 'author_id';
    end if;
end
$$;
comment on function content._require_edit(uuid[]) is
    'Internal: raise 42501 unless the acting user may change these nodes: content:write_all, or content:write_own and '
    'the author of every one of them (the system, with no acting user, may).';
grant execute on function content._require_edit(uuid[]) to rustok_app;
