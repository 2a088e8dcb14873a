-- core/permissions.sql: the permission matrix (core.permissions, core.role_permissions) and the checks API
-- functions make against the acting user (setting rustok.user_id, set by the API next to rustok.tenant_id).

-- ---------------------------------------------------------------- core.permissions
comment on table core.permissions is
    'Permissions the API functions check (e.g. catalog:write, orders:read_all, content:publish). Reference data, the '
    'same for every tenant; docs/graphql.md shows the matrix.';
comment on column core.permissions.name is '<area>:<action>, e.g. content:write_own.';
comment on column core.permissions.description is 'What the permission allows.';
grant select on core.permissions to rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- core.role_permissions
comment on table core.role_permissions is
    'Which tenant role (core.users.role) holds which permission. Anonymous API callers hold none; a transaction with '
    'no acting user outside the API (psql, jobs: rustok.user_id and rustok.actor unset) is the system and passes every '
    'check.';
comment on column core.role_permissions.role is 'A core.users.role: admin, manager, editor, author or customer.';
comment on column core.role_permissions.permission is 'The permission (core.permissions.name).';
grant select on core.role_permissions to rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- checks
create or replace function core.current_user_id() returns uuid
    language sql stable parallel safe
as $$ select nullif(current_setting('rustok.user_id', true), '')::uuid $$;
comment on function core.current_user_id() is
    'The acting user of this transaction (setting rustok.user_id, set by the API for a signed-in caller), or null: '
    'the system (psql, jobs).';
grant execute on function core.current_user_id() to rustok_app;

create or replace function core.current_user_role() returns text
    language sql stable
as $$
    select u.role from core.users u
    where u.id = core.current_user_id() and u.status = 'active'
      and (core.current_tenant_id() is null or u.tenant_id = core.current_tenant_id())
$$;
comment on function core.current_user_role() is
    'The role of the acting user (in the current tenant when one is set; null when no user is set, or the account '
    'is not active).';
grant execute on function core.current_user_role() to rustok_app;

create or replace function core.is_platform_admin() returns boolean
    language sql stable
as $$
    select exists (select 1 from core.users u
                   where u.tenant_id = core.current_tenant_id() and u.id = core.current_user_id()
                     and u.status = 'active' and u.is_platform_admin)
$$;
comment on function core.is_platform_admin() is
    'Whether the acting user (rustok.user_id, in the current tenant) is an active platform operator '
    '(core.users.is_platform_admin): they hold platform:manage besides their tenant role.';
grant execute on function core.is_platform_admin() to rustok_app;

create or replace function core.has_permission(p_permission text) returns boolean
    language sql stable
as $$
    select case when core.current_user_id() is null
                then coalesce(current_setting('rustok.actor', true), '') <> 'api'
                when p_permission = 'platform:manage' then core.is_platform_admin()
                else exists (select 1 from core.role_permissions rp
                             where rp.role = core.current_user_role() and rp.permission = p_permission) end
$$;
comment on function core.has_permission(text) is
    'Whether the acting user''s role holds the permission (platform:manage: whether they are a platform operator, '
    'core.is_platform_admin). With no acting user: false for an anonymous API caller '
    '(the API sets rustok.actor = api), true for the system (psql, jobs).';
grant execute on function core.has_permission(text) to rustok_app;

create or replace function core.require_permission(p_permission text) returns void
    language plpgsql stable
as $$
begin
    if not exists (select 1 from core.permissions p where p.name = p_permission) then
        raise exception 'core.require_permission: unknown permission %', p_permission using errcode = 'invalid_parameter_value';
    end if;
    if not core.has_permission(p_permission) then
        raise exception 'permission % is required (role %)', p_permission, coalesce(core.current_user_role(), 'none')
            using errcode = 'insufficient_privilege';
    end if;
end
$$;
comment on function core.require_permission(text) is
    'Raise 42501 ''permission <name> is required (role <role>)'' unless the acting user''s role holds the permission. '
    'Called first by every API function that needs one, so the check holds from psql too (as rustok_app, with '
    'rustok.user_id set).';
grant execute on function core.require_permission(text) to rustok_app;

create or replace function core.my_permissions() returns text[]
    language sql stable
as $$
    select coalesce(array_agg(p.permission order by p.permission), '{}')
    from (select rp.permission from core.role_permissions rp where rp.role = core.current_user_role()
          union all
          select 'platform:manage' where core.is_platform_admin()) p
$$;
comment on function core.my_permissions() is
    'The acting user''s permissions, sorted: their role''s, and platform:manage for a platform operator '
    '(GraphQL me { permissions }).';
grant execute on function core.my_permissions() to rustok_app;
