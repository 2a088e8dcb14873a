-- community/api.sql: API functions called by GraphQL mutations (reactions). The tenant is
-- core.current_tenant_id(); security invoker, so row-level security and the module's triggers apply.

create or replace function community.react(p_node_id uuid, p_user_id uuid, p_kind text) returns boolean
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('community:react');
    if v_tenant is null then
        raise exception 'community.react: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    insert into community.reactions (tenant_id, node_id, user_id, kind)
    values (v_tenant, p_node_id, p_user_id, p_kind)
    on conflict do nothing;
    return found;
end
$$;
comment on function community.react(uuid, uuid, text) is
    'A user''s reaction (community.reaction_kinds: like, love, ...) to a node of the current tenant; reacting twice '
    'with the same kind is a no-op. True when the reaction is new. Unknown node or kind: 23503. (GraphQL react.)';
revoke execute on function community.react(uuid, uuid, text) from public;
grant execute on function community.react(uuid, uuid, text) to rustok_app;
