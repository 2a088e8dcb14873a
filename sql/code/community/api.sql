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

create or replace function community.follow(p_target_type text, p_target_id uuid, p_follow boolean) returns boolean
    language plpgsql volatile
as $$
declare
    v_user  uuid := core.current_user_id();
    v_found boolean;
begin
    perform core.require_permission('community:react');
    perform core.assert_module_enabled(array[core.current_tenant_id()], 'community');   -- before the target checks
    if v_user is null then
        raise exception 'community.follows.follower_id: a follow needs an acting user (rustok.user_id)'
            using errcode = 'invalid_parameter_value', column = 'follower_id';
    end if;
    if p_target_type not in ('user', 'node', 'category') then
        raise exception 'targetType: must be user, node or category (got %)', p_target_type
            using errcode = 'invalid_parameter_value', column = 'target_type';
    end if;
    if p_follow then
        if p_target_type = 'user' and p_target_id = v_user then
            raise exception 'target_id: you cannot follow yourself' using errcode = 'check_violation', column = 'target_id';
        end if;
        v_found := case p_target_type
            when 'user' then exists (select from core.users u where u.tenant_id = core.current_tenant_id() and u.id = p_target_id)
            when 'node' then exists (select from content.nodes n where n.tenant_id = core.current_tenant_id() and n.id = p_target_id)
            else exists (select from content.categories c where c.tenant_id = core.current_tenant_id() and c.id = p_target_id)
        end;
        if not v_found then
            raise exception 'target_id: no % %', p_target_type, p_target_id using errcode = 'no_data_found', column = 'target_id';
        end if;
        insert into community.follows (tenant_id, follower_id, followed_user_id, node_id, category_id)
        values (core.current_tenant_id(), v_user,
                case when p_target_type = 'user' then p_target_id end,
                case when p_target_type = 'node' then p_target_id end,
                case when p_target_type = 'category' then p_target_id end)
        on conflict (tenant_id, follower_id, target_type, target_id) do nothing;
    else
        delete from community.follows f
        where f.tenant_id = core.current_tenant_id() and f.follower_id = v_user
          and f.target_type = p_target_type and f.target_id = p_target_id;
    end if;
    return p_follow;
end
$$;
comment on function community.follow(text, uuid, boolean) is
    'The acting user follows (p_follow) or unfollows a user, node or content category of the current tenant '
    '(permission community:react); idempotent. Refused with a message naming target_id: following yourself (23514), '
    'a target that is not a user, node or content category of the tenant (P0002). (GraphQL follow, unfollow.)';
revoke execute on function community.follow(text, uuid, boolean) from public;
grant execute on function community.follow(text, uuid, boolean) to rustok_app;
