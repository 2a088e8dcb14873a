-- core/platform.sql: the platform operator in the API: tenants and their domains (GraphQL platformTenants,
-- createTenant, updateTenant, suspendTenant, reactivateTenant, addPlatformTenantDomain, removePlatformTenantDomain).
--
-- platform:manage is not a tenant role's permission (core.role_permissions does not list it): a user holds it when
-- flagged core.users.is_platform_admin, which only an operator sets (ops.grant_platform_admin; the application role
-- is refused by the trigger _050_platform_admin_guard). The operator signs in to their own tenant as usual; these
-- functions act on every tenant, so they are security definer (a tenant's row-level security would hide the others)
-- and check core.require_permission('platform:manage') first.

create or replace function core.tenant_suspended(p_slug text) returns boolean
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$ select exists (select 1 from core.tenants t where t.slug = p_slug and not t.is_active) $$;
comment on function core.tenant_suspended(text) is
    'Whether the tenant with this slug exists and is suspended (is_active false): the API then answers '
    'TENANT_SUSPENDED instead of an unknown tenant. Callable before a tenant is set.';
-- definer: runs before a tenant is set; says only whether the slug the caller names is suspended
revoke all on function core.tenant_suspended(text) from public;
grant execute on function core.tenant_suspended(text) to rustok_app;

-- ---------------------------------------------------------------- reads
create or replace function core._platform_tenant_rows(p_ids uuid[])
    returns table (id uuid, name text, slug text, is_active boolean, text_search_config text, created_at timestamptz,
                   updated_at timestamptz, domains text[], user_count integer)
    language sql stable
as $$
    select t.id, t.name, t.slug, t.is_active, t.text_search_config::text, t.created_at, t.updated_at,
           array(select d.host from core.tenant_domains d where d.tenant_id = t.id order by d.host),
           (select count(*)::integer from core.users u where u.tenant_id = t.id)
    from unnest(p_ids) with ordinality as x (id, n)
    join core.tenants t on t.id = x.id
    order by x.n
$$;
comment on function core._platform_tenant_rows(uuid[]) is
    'Internal (the platform functions, which check platform:manage): the tenants p_ids in this order, with their '
    'domains and number of users.';
revoke all on function core._platform_tenant_rows(uuid[]) from public;

create or replace function core.page_platform_tenants(
    p_search text, p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (id uuid, name text, slug text, is_active boolean, text_search_config text, created_at timestamptz,
                 updated_at timestamptz, domains text[], user_count integer, cursor jsonb)
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
    set plan_cache_mode = force_custom_plan   -- the null arguments fold away, so tenants_slug_key serves the page
as $$
declare
    v_pattern text := core._like_pattern(p_search);
    v_after   text[];
    v_before  text[];
    v_ids     uuid[];
begin
    perform core.require_permission('platform:manage');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'slug', array['text', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'slug', array['text', 'uuid'], 'before');
    if not coalesce(p_from_end, false) then
        select array_agg(p.id order by p.slug, p.id) into v_ids from (
            select t.id, t.slug from core.tenants t
            where (v_pattern is null or t.slug ilike v_pattern or t.name ilike v_pattern)
              and (v_after is null or (t.slug, t.id) > (v_after[1], v_after[2]::uuid))
              and (v_before is null or (t.slug, t.id) < (v_before[1], v_before[2]::uuid))
            order by t.slug, t.id
            limit p_limit + 1) p;
    else
        select array_agg(p.id order by p.slug desc, p.id desc) into v_ids from (
            select t.id, t.slug from core.tenants t
            where (v_pattern is null or t.slug ilike v_pattern or t.name ilike v_pattern)
              and (v_after is null or (t.slug, t.id) > (v_after[1], v_after[2]::uuid))
              and (v_before is null or (t.slug, t.id) < (v_before[1], v_before[2]::uuid))
            order by t.slug desc, t.id desc
            limit p_limit + 1) p;
    end if;
    return query
    select r.*, jsonb_build_object('s', 'slug', 'k', jsonb_build_array(r.slug, r.id))
    from core._platform_tenant_rows(coalesce(v_ids, '{}')) r;
end
$$;
comment on function core.page_platform_tenants(text, jsonb, jsonb, integer, boolean) is
    'platform:manage: one keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of every tenant, '
    'by slug (then id); p_search matches part of the slug or name; each with its domains and number of users. '
    'Cursors {"s": "slug", "k": [slug, id]} after / before; p_from_end pages backwards (rows nearest the before '
    'cursor first). (GraphQL platformTenants.)';
-- definer: reads every tenant; checks platform:manage first
revoke all on function core.page_platform_tenants(text, jsonb, jsonb, integer, boolean) from public;
grant execute on function core.page_platform_tenants(text, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function core.count_platform_tenants(p_search text, p_cap integer default 10001) returns integer
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_pattern text := core._like_pattern(p_search);
begin
    perform core.require_permission('platform:manage');
    return (select count(*)::int from (
        select 1 from core.tenants t
        where v_pattern is null or t.slug ilike v_pattern or t.name ilike v_pattern
        limit p_cap) x);
end
$$;
comment on function core.count_platform_tenants(text, integer) is
    'platform:manage: how many tenants match p_search (as core.page_platform_tenants), counted up to p_cap. '
    '(GraphQL platformTenants.totalCount.)';
-- definer: counts every tenant; checks platform:manage first
revoke all on function core.count_platform_tenants(text, integer) from public;
grant execute on function core.count_platform_tenants(text, integer) to rustok_app;

create or replace function core.platform_tenant(p_id uuid)
    returns table (id uuid, name text, slug text, is_active boolean, text_search_config text, created_at timestamptz,
                   updated_at timestamptz, domains text[], user_count integer)
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('platform:manage');
    return query select * from core._platform_tenant_rows(array[p_id]);
end
$$;
comment on function core.platform_tenant(uuid) is
    'platform:manage: one tenant with its domains and number of users (no row for an unknown id). (The result of '
    'the GraphQL platform mutations.)';
-- definer: reads any tenant; checks platform:manage first
revoke all on function core.platform_tenant(uuid) from public;
grant execute on function core.platform_tenant(uuid) to rustok_app;

-- ---------------------------------------------------------------- writes
create or replace function core.platform_create_tenant(p_name text, p_slug text, p_text_search_config text default null,
                                                       p_admin_email text default null,
                                                       p_invitation_lifetime interval default '7 days')
    returns uuid
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_id   uuid;
    v_user uuid;
begin
    perform core.require_permission('platform:manage');
    if p_slug is null or p_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or length(p_slug) > 64 then
        raise exception 'core.tenants.slug: lowercase letters, digits and single dashes, at most 64 characters (got %)',
            coalesce(p_slug, 'null') using errcode = 'check_violation', column = 'slug';
    end if;
    if exists (select 1 from core.tenants t where t.slug = p_slug) then
        raise exception 'core.tenants.slug: % is already the slug of another tenant', p_slug
            using errcode = 'unique_violation', column = 'slug';
    end if;
    if p_text_search_config is not null
       and not exists (select 1 from pg_catalog.pg_ts_config c where c.cfgname = p_text_search_config) then
        raise exception 'core.tenants.text_search_config: % is not a text search configuration (e.g. english, german, simple)',
            p_text_search_config using errcode = 'invalid_parameter_value', column = 'text_search_config';
    end if;
    insert into core.tenants (name, slug, text_search_config)
    values (btrim(p_name), p_slug, coalesce(p_text_search_config, 'english')::regconfig)
    returning core.tenants.id into v_id;
    if p_admin_email is not null then
        if btrim(p_admin_email) !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
            raise exception 'core.users.admin_email: must be an email address like ann@example.com'
                using errcode = 'check_violation', column = 'admin_email';
        end if;
        -- the shop's first administrator, invited by mail (core/accounts.sql: the mail consumer sends the link)
        insert into core.users (tenant_id, email, password_hash, role, status)
        values (v_id, btrim(p_admin_email), '!', 'admin', 'invited')
        returning core.users.id into v_user;
        insert into core.account_tokens (tenant_id, user_id, purpose, expires_at)
        values (v_id, v_user, 'invitation', now() + p_invitation_lifetime);
    end if;
    return v_id;
end
$$;
comment on function core.platform_create_tenant(text, text, text, text, interval) is
    'platform:manage: create a tenant (name, unique slug, text search configuration, default english); with '
    'p_admin_email also its first administrator, invited by mail (status invited, an invitation valid '
    'p_invitation_lifetime). Returns the tenant id. (GraphQL createTenant.)';
-- definer: writes another tenant than the caller's; checks platform:manage first
revoke all on function core.platform_create_tenant(text, text, text, text, interval) from public;
grant execute on function core.platform_create_tenant(text, text, text, text, interval) to rustok_app;

create or replace function core.platform_update_tenant(p_tenant_id uuid, p_name text default null,
                                                       p_is_active boolean default null)
    returns uuid
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('platform:manage');
    if p_is_active is false and p_tenant_id = core.current_tenant_id() then
        raise exception 'core.tenants.is_active: you cannot suspend the tenant you are signed in to (it would lock you out)'
            using errcode = 'object_not_in_prerequisite_state', column = 'is_active';
    end if;
    update core.tenants t
       set name = coalesce(btrim(p_name), t.name), is_active = coalesce(p_is_active, t.is_active)
     where t.id = p_tenant_id;
    if not found then
        raise exception 'core.tenants.id: no tenant %', p_tenant_id using errcode = 'no_data_found', column = 'id';
    end if;
    return p_tenant_id;
end
$$;
comment on function core.platform_update_tenant(uuid, text, boolean) is
    'platform:manage: rename a tenant and/or suspend it (p_is_active false: its storefront and API answer '
    'TENANT_SUSPENDED, its data stays) or reactivate it. Not the caller''s own tenant''s suspension. '
    '(GraphQL updateTenant, suspendTenant, reactivateTenant.)';
-- definer: writes another tenant than the caller's; checks platform:manage first
revoke all on function core.platform_update_tenant(uuid, text, boolean) from public;
grant execute on function core.platform_update_tenant(uuid, text, boolean) to rustok_app;

create or replace function core.platform_add_domain(p_tenant_id uuid, p_host text) returns text
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_host text := rtrim(lower(btrim(p_host)), '.');
begin
    perform core.require_permission('platform:manage');
    if not exists (select 1 from core.tenants t where t.id = p_tenant_id) then
        raise exception 'core.tenants.id: no tenant %', p_tenant_id using errcode = 'no_data_found', column = 'tenant_id';
    end if;
    if exists (select 1 from core.tenant_domains d where d.host = v_host and d.tenant_id <> p_tenant_id) then
        raise exception 'core.tenant_domains.host: % already belongs to another tenant', v_host
            using errcode = 'unique_violation', column = 'host';
    end if;
    insert into core.tenant_domains (tenant_id, host) values (p_tenant_id, v_host)
    on conflict (tenant_id, host) do nothing;
    return v_host;
end
$$;
comment on function core.platform_add_domain(uuid, text) is
    'platform:manage: a tenant''s storefront also answers this host name (lowercased, no trailing dot; a host '
    'belongs to one tenant: 23505). Returns the host. (GraphQL addPlatformTenantDomain.)';
-- definer: writes another tenant than the caller's; checks platform:manage first
revoke all on function core.platform_add_domain(uuid, text) from public;
grant execute on function core.platform_add_domain(uuid, text) to rustok_app;

create or replace function core.platform_remove_domain(p_tenant_id uuid, p_host text) returns boolean
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('platform:manage');
    delete from core.tenant_domains d where d.tenant_id = p_tenant_id and d.host = rtrim(lower(btrim(p_host)), '.');
    return found;
end
$$;
comment on function core.platform_remove_domain(uuid, text) is
    'platform:manage: a tenant''s storefront no longer answers this host name; false when it did not. '
    '(GraphQL removePlatformTenantDomain.)';
-- definer: writes another tenant than the caller's; checks platform:manage first
revoke all on function core.platform_remove_domain(uuid, text) from public;
grant execute on function core.platform_remove_domain(uuid, text) to rustok_app;
