-- core/api.sql: API functions for accounts and sessions, called by GraphQL mutations (register, login,
-- logout). The tenant is core.current_tenant_id(); security invoker, so row-level security applies.
-- Passwords are hashed and checked by the application (argon2id, rustok.auth); only hashes reach the
-- database, and of a session token only its hash. Login throttling: sql/code/core/login.sql.

create or replace function core.register_user(p_email text, p_password_hash text, p_display_name text default null)
    returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_id     uuid;
begin
    if v_tenant is null then
        raise exception 'core.register_user: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    insert into core.users (tenant_id, email, password_hash, display_name)
    values (v_tenant, p_email, p_password_hash, p_display_name)
    returning id into v_id;
    return v_id;
end
$$;
comment on function core.register_user(text, text, text) is
    'Create an active customer account in the current tenant; the email is unique per tenant, case-insensitively '
    '(23505). Returns the user id; sign it in with core.start_session. (GraphQL register.)';
revoke execute on function core.register_user(text, text, text) from public;
grant execute on function core.register_user(text, text, text) to rustok_app;

create or replace function core.user_for_login(p_email text)
    returns table (user_id uuid, password_hash text, status text)
    language sql stable
as $$
    select u.id, u.password_hash, u.status
    from core.users u
    where u.tenant_id = core.current_tenant_id() and lower(u.email) = lower(p_email)
$$;
comment on function core.user_for_login(text) is
    'The account of the current tenant with this email (case-insensitive): its id, password hash (checked by the '
    'application) and status; no row when there is none. (GraphQL login.)';
revoke execute on function core.user_for_login(text) from public;
grant execute on function core.user_for_login(text) to rustok_app;

create or replace function core.upgrade_password_hash(p_user_id uuid, p_old_hash text, p_new_hash text)
    returns boolean
    language plpgsql volatile
as $$
begin
    update core.users u set password_hash = p_new_hash
    where u.tenant_id = core.current_tenant_id() and u.id = p_user_id and u.password_hash = p_old_hash;
    return found;
end
$$;
comment on function core.upgrade_password_hash(uuid, text, text) is
    'Replace a user''s password hash that just verified at login (legacy scrypt, or argon2 with outdated '
    'parameters) by its argon2id rehash, only if it is still p_old_hash (a password changed meanwhile stays). '
    'True when replaced. (GraphQL login.)';
revoke execute on function core.upgrade_password_hash(uuid, text, text) from public;
grant execute on function core.upgrade_password_hash(uuid, text, text) to rustok_app;

create or replace function core.start_session(p_user_id uuid, p_token_hash text, p_user_agent text, p_lifetime interval)
    returns table (expires_at timestamptz, id uuid, email text, display_name text, role text, status text,
                   created_at timestamptz, last_login_at timestamptz)
    language plpgsql volatile
as $$
declare
    v_tenant  uuid := core.current_tenant_id();
    v_user    core.users;
    v_expires timestamptz;
begin
    update core.users u set last_login_at = now()
    where u.tenant_id = v_tenant and u.id = p_user_id and u.status = 'active'
    returning u.* into v_user;
    if v_user.id is null then
        raise exception 'core.users.id: no active user %', p_user_id using errcode = 'no_data_found', column = 'id';
    end if;
    insert into core.sessions as s (tenant_id, user_id, token_hash, user_agent, expires_at)
    values (v_tenant, p_user_id, p_token_hash, p_user_agent, now() + p_lifetime)
    returning s.expires_at into v_expires;
    return query select v_expires, v_user.id, v_user.email, v_user.display_name, v_user.role, v_user.status,
                        v_user.created_at, v_user.last_login_at;
end
$$;
comment on function core.start_session(uuid, text, text, interval) is
    'Sign in an active user of the current tenant: store a session under the token''s hash, valid for p_lifetime, '
    'and stamp last_login_at. Returns the session''s expiry and the user. Unknown or inactive user: P0002. '
    '(GraphQL register and login.)';
revoke execute on function core.start_session(uuid, text, text, interval) from public;
grant execute on function core.start_session(uuid, text, text, interval) to rustok_app;

create or replace function core.end_session(p_token_hash text) returns boolean
    language plpgsql volatile
as $$
begin
    update core.sessions s set revoked_at = now()
    where s.tenant_id = core.current_tenant_id() and s.token_hash = p_token_hash and s.revoked_at is null;
    return found;
end
$$;
comment on function core.end_session(text) is
    'Revoke the current tenant''s session with this token hash. True when a live session was revoked. (GraphQL logout.)';
revoke execute on function core.end_session(text) from public;
grant execute on function core.end_session(text) to rustok_app;

-- ---------------------------------------------------------------- admin: modules and users
create or replace function core.set_module_enabled(p_module text, p_enabled boolean) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('modules:manage');
    if not exists (select 1 from core.modules m where m.slug = p_module) then
        raise exception 'module: unknown module % (known: %)', p_module,
            (select string_agg(m.slug, ', ' order by m.slug) from core.modules m)
            using errcode = 'no_data_found', column = 'module';
    end if;
    insert into core.tenant_modules as tm (tenant_id, module_slug, enabled)
    values (core.current_tenant_id(), p_module, coalesce(p_enabled, false))
    on conflict (tenant_id, module_slug) do update set enabled = excluded.enabled
    where tm.enabled is distinct from excluded.enabled;
    return coalesce(p_enabled, false);
end
$$;
comment on function core.set_module_enabled(text, boolean) is
    'Turn a module on or off for the current tenant (permission modules:manage). Returns the new state. '
    '(GraphQL setModuleEnabled.)';
revoke execute on function core.set_module_enabled(text, boolean) from public;
grant execute on function core.set_module_enabled(text, boolean) to rustok_app;

create or replace function core.change_user(p_user_id uuid, p_role text default null, p_status text default null)
    returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('users:manage');
    if p_user_id = core.current_user_id() then
        raise exception 'user_id: you cannot change your own role or status (ask another administrator)'
            using errcode = 'check_violation', column = 'user_id';
    end if;
    update core.users u
       set role = coalesce(p_role, u.role), status = coalesce(p_status, u.status)
     where u.tenant_id = core.current_tenant_id() and u.id = p_user_id;
    if not found then
        raise exception 'core.users.id: no user % in this tenant', p_user_id using errcode = 'no_data_found', column = 'id';
    end if;
    if p_status is not null and p_status <> 'active' then
        -- a deactivated account is signed out everywhere
        delete from core.sessions s where s.tenant_id = core.current_tenant_id() and s.user_id = p_user_id;
    end if;
    return p_user_id;
end
$$;
comment on function core.change_user(uuid, text, text) is
    'Change a user''s role and/or status (active, inactive, banned) in the current tenant (permission users:manage; '
    'not one''s own). A user who is no longer active loses their sessions. (GraphQL changeUserRole, deactivateUser.)';
revoke execute on function core.change_user(uuid, text, text) from public;
grant execute on function core.change_user(uuid, text, text) to rustok_app;

create or replace function core.invite_user(p_email text, p_role text, p_password_hash text, p_display_name text default null)
    returns uuid
    language plpgsql volatile
as $$
declare
    v_id uuid;
begin
    perform core.require_permission('users:manage');
    if p_role is null or p_role not in ('admin', 'manager', 'editor', 'author', 'customer') then
        raise exception 'core.users.role: must be one of admin, manager, editor, author, customer (got %)', coalesce(p_role, 'null')
            using errcode = 'check_violation', column = 'role';
    end if;
    if exists (select from core.users u where u.tenant_id = core.current_tenant_id() and lower(u.email) = lower(p_email)) then
        raise exception 'core.users.email: % is already used by another account of this shop', p_email
            using errcode = 'unique_violation', column = 'email';
    end if;
    insert into core.users (tenant_id, email, password_hash, display_name, role)
    values (core.current_tenant_id(), p_email, p_password_hash, p_display_name, p_role)
    returning id into v_id;
    return v_id;
end
$$;
comment on function core.invite_user(text, text, text, text) is
    'Create an active account with a role in the current tenant (permission users:manage); the application hashes '
    'the first password. The email is unique per tenant (23505). Returns the id. (GraphQL inviteUser.)';
revoke execute on function core.invite_user(text, text, text, text) from public;
grant execute on function core.invite_user(text, text, text, text) to rustok_app;

create or replace function core.reset_user_password(p_user_id uuid, p_password_hash text) returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('users:manage');
    if p_user_id = core.current_user_id() then
        raise exception 'core.users.id: change your own password by signing in with it, not here'
            using errcode = 'check_violation', column = 'id';
    end if;
    update core.users u set password_hash = p_password_hash
    where u.tenant_id = core.current_tenant_id() and u.id = p_user_id;
    if not found then
        raise exception 'core.users.id: no user % in this tenant', p_user_id using errcode = 'no_data_found', column = 'id';
    end if;
    -- the old password's sessions end
    delete from core.sessions s where s.tenant_id = core.current_tenant_id() and s.user_id = p_user_id;
    return p_user_id;
end
$$;
comment on function core.reset_user_password(uuid, text) is
    'Give another user of the current tenant a new password (the application hashes it) and end their sessions '
    '(permission users:manage; not one''s own). (GraphQL resetUserPassword.)';
revoke execute on function core.reset_user_password(uuid, text) from public;
grant execute on function core.reset_user_password(uuid, text) to rustok_app;

-- ---------------------------------------------------------------- the admin's user list (GraphQL users)
create or replace function core.page_users(
    p_search text, p_role text, p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (user_id uuid, cursor jsonb)
    language plpgsql stable
    set plan_cache_mode = force_custom_plan   -- the null arguments fold away, so users_staff_order_idx serves the page
as $$
declare
    v_tenant  uuid := core.current_tenant_id();
    v_pattern text := core._like_pattern(p_search);
    v_after   text[];
    v_before  text[];
begin
    perform core.require_permission('users:manage');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'staff_email', array['boolean', 'text', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'staff_email', array['boolean', 'text', 'uuid'], 'before');
    if not coalesce(p_from_end, false) then
        return query
        select u.id, jsonb_build_object('s', 'staff_email', 'k', jsonb_build_array(u.role = 'customer', lower(u.email), u.id))
        from core.users u
        where u.tenant_id = v_tenant
          and (p_role is null or u.role = p_role)
          and (v_pattern is null or u.email ilike v_pattern or u.display_name ilike v_pattern)
          and (v_after is null or (u.role = 'customer', lower(u.email), u.id) > (v_after[1]::boolean, v_after[2], v_after[3]::uuid))
          and (v_before is null or (u.role = 'customer', lower(u.email), u.id) < (v_before[1]::boolean, v_before[2], v_before[3]::uuid))
        order by u.role = 'customer', lower(u.email), u.id
        limit p_limit + 1;
    else
        return query
        select u.id, jsonb_build_object('s', 'staff_email', 'k', jsonb_build_array(u.role = 'customer', lower(u.email), u.id))
        from core.users u
        where u.tenant_id = v_tenant
          and (p_role is null or u.role = p_role)
          and (v_pattern is null or u.email ilike v_pattern or u.display_name ilike v_pattern)
          and (v_after is null or (u.role = 'customer', lower(u.email), u.id) > (v_after[1]::boolean, v_after[2], v_after[3]::uuid))
          and (v_before is null or (u.role = 'customer', lower(u.email), u.id) < (v_before[1]::boolean, v_before[2], v_before[3]::uuid))
        order by u.role = 'customer' desc, lower(u.email) desc, u.id desc
        limit p_limit + 1;
    end if;
end
$$;
comment on function core.page_users(text, text, jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of the current tenant''s accounts '
    'for the admin: staff before customers, then by email (case-insensitive), then id; p_role keeps one role, '
    'p_search matches a part of the email or display name. Cursors {"s": "staff_email", "k": [customer, email, id]} '
    'after / before; p_from_end pages backwards (rows nearest the before cursor first). Permission users:manage. '
    '(GraphQL users.)';
revoke execute on function core.page_users(text, text, jsonb, jsonb, integer, boolean) from public;
grant execute on function core.page_users(text, text, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function core.count_users(p_search text, p_role text, p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
declare
    v_pattern text := core._like_pattern(p_search);
begin
    perform core.require_permission('users:manage');
    return (select count(*)::int from (
        select 1 from core.users u
        where u.tenant_id = core.current_tenant_id()
          and (p_role is null or u.role = p_role)
          and (v_pattern is null or u.email ilike v_pattern or u.display_name ilike v_pattern)
        limit p_cap) x);
end
$$;
comment on function core.count_users(text, text, integer) is
    'How many of the current tenant''s accounts match p_search and p_role (as core.page_users), counted up to p_cap. '
    'Permission users:manage. (GraphQL users.totalCount.)';
revoke execute on function core.count_users(text, text, integer) from public;
grant execute on function core.count_users(text, text, integer) to rustok_app;
