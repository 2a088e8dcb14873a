-- ops/analysts.sql: analyst logins, platform-wide (member of rustok_analyst) or restricted to one tenant (member of
-- rustok_tenant_analyst, mapped in core.analyst_tenants; see core/analysts.sql; each index table's file
-- calls core.allow_tenant_analyst_read, and the analytics views are granted to rustok_tenant_analyst).

create or replace function ops.create_analyst(p_login text, p_tenant_slug text default null, p_password text default null)
    returns text
    language plpgsql volatile
as $$
declare
    v_tenant  uuid;
    v_group   text := case when p_tenant_slug is null then 'rustok_analyst' else 'rustok_tenant_analyst' end;
    v_other   text := case when p_tenant_slug is null then 'rustok_tenant_analyst' else 'rustok_analyst' end;
    v_role    oid;
    v_mapped  uuid;
    v_result  text;
begin
    if p_login is null or p_login !~ '^[a-z_][a-z0-9_]{0,62}$' or p_login ~ '^pg_' then
        raise exception 'p_login: must be a role name of lowercase letters, digits and _ (at most 63, not starting with pg_), got %',
            coalesce(p_login, 'null') using errcode = 'invalid_parameter_value';
    end if;
    if p_login in ('rustok_app', 'rustok_analyst', 'rustok_tenant_analyst', 'rustok_owner', current_user, session_user) then
        raise exception 'p_login: % is one of the platform''s own roles', p_login using errcode = 'invalid_parameter_value';
    end if;
    if p_tenant_slug is not null then
        select t.id into v_tenant from core.tenants t where t.slug = p_tenant_slug;
        if v_tenant is null then
            raise exception 'p_tenant_slug: no tenant with slug %', p_tenant_slug using errcode = 'no_data_found';
        end if;
    end if;
    if p_password is not null and length(p_password) < 12 then
        raise exception 'p_password: must be at least 12 characters (or null, and set it with \password %)', p_login
            using errcode = 'invalid_parameter_value';
    end if;

    select r.oid into v_role from pg_catalog.pg_roles r where r.rolname = p_login;
    select a.tenant_id into v_mapped from core.analyst_tenants a where a.role_name = p_login;
    if v_role is not null then
        -- Re-running is fine for the same kind of analyst (settings and password are applied again); anything else is refused.
        if not pg_has_role(v_role, v_group, 'usage') or pg_has_role(v_role, v_other, 'usage')
           or v_mapped is distinct from v_tenant then
            raise exception 'p_login: a role named % already exists and is not a % analyst%', p_login,
                case when p_tenant_slug is null then 'platform-wide' else 'per-tenant' end,
                case when p_tenant_slug is null then '' else ' of ' || p_tenant_slug end
                using errcode = 'duplicate_object';
        end if;
        v_result := format('analyst login %s already existed; settings applied again', p_login);
    else
        execute format('create role %I login nosuperuser nocreatedb nocreaterole noreplication nobypassrls', p_login);
        -- set false: the login cannot `set role` to the group (a per-tenant analyst would then see nothing at all,
        -- and a platform-wide one gains nothing); inherit true: it has the group's read grants.
        execute format('grant %I to %I with inherit true, set false', v_group, p_login);
        if v_tenant is not null then
            insert into core.analyst_tenants (role_name, tenant_id) values (p_login, v_tenant)
            on conflict (role_name) do update set tenant_id = excluded.tenant_id;
        end if;
        v_result := format('created analyst login %s (%s)', p_login,
                           coalesce('tenant ' || p_tenant_slug || ' only', 'every tenant'));
    end if;
    -- Role settings are per login (they are not inherited from the group). They are defaults the analyst may lower
    -- for a session; what the analyst may read or write is decided by grants and policies, not by these.
    execute format('alter role %I set default_transaction_read_only = on', p_login);
    execute format('alter role %I set statement_timeout = %L', p_login, '5min');
    execute format('alter role %I set idle_in_transaction_session_timeout = %L', p_login, '10min');
    if p_password is not null then
        execute format('alter role %I password %L', p_login, p_password);
        v_result := v_result || '; password set';
    else
        v_result := v_result || format('; set its password in psql with: \password %s', p_login);
    end if;
    return v_result;
end
$$;
comment on function ops.create_analyst(text, text, text) is
    'Create (or re-apply the settings of) an analyst login: with p_tenant_slug a member of rustok_tenant_analyst that '
    'sees only that tenant''s rows of index and analytics (row-level security keyed on core.analyst_tenants, which it '
    'cannot change), without it a platform-wide member of rustok_analyst. Read-only by default, statement timeout 5 '
    'min, idle-in-transaction timeout 10 min. p_password (12+ characters) or null: then set it with \password <login> '
    '(keeps it out of the server log). Needs CREATEROLE and admin of the group role (the migration owner has both). '
    'psql: select ops.create_analyst(''acme_analyst'', ''acme'');';
revoke all on function ops.create_analyst(text, text, text) from public;

create or replace function ops.drop_analyst(p_login text) returns text
    language plpgsql volatile
as $$
declare
    v_role oid;
begin
    select r.oid into v_role from pg_catalog.pg_roles r where r.rolname = p_login;
    if v_role is null then
        raise exception 'p_login: no role named %', coalesce(p_login, 'null') using errcode = 'no_data_found';
    end if;
    if not exists (select from ops.analysts a where a.login = p_login) then
        raise exception 'p_login: % is not an analyst login made by ops.create_analyst', p_login
            using errcode = 'invalid_parameter_value';
    end if;
    delete from core.analyst_tenants a where a.role_name = p_login;
    execute format('drop role %I', p_login);
    return format('dropped analyst login %s', p_login);
end
$$;
comment on function ops.drop_analyst(text) is
    'Drop an analyst login made by ops.create_analyst (and its tenant mapping). Refuses any other role. '
    'psql: select ops.drop_analyst(''acme_analyst'');';
revoke all on function ops.drop_analyst(text) from public;

create or replace view ops.analysts as
select r.rolname::text                                        as login,
       case when a.role_name is not null then 'tenant' else 'platform' end as scope,
       t.slug                                                 as tenant_slug,
       a.tenant_id,
       r.rolcanlogin                                          as can_login,
       r.rolconfig                                            as settings
from pg_catalog.pg_roles r
left join core.analyst_tenants a on a.role_name = r.rolname
left join core.tenants t on t.id = a.tenant_id
where exists (select from pg_catalog.pg_auth_members m
              where m.member = r.oid and not m.set_option
                and m.roleid in (select g.oid from pg_catalog.pg_roles g
                                 where g.rolname in ('rustok_analyst', 'rustok_tenant_analyst')))
union all
-- Mappings whose login does not exist in this cluster (e.g. after a restore elsewhere): recreate them.
select a.role_name, 'tenant (login missing)', t.slug, a.tenant_id, false, null
from core.analyst_tenants a
left join core.tenants t on t.id = a.tenant_id
where not exists (select from pg_catalog.pg_roles r where r.rolname = a.role_name);
comment on view ops.analysts is
    'Analyst logins made by ops.create_analyst: scope (platform or tenant), tenant, can_login and role settings; '
    'a mapping whose login is missing in this cluster (after a restore elsewhere) shows as ''tenant (login missing)'': '
    'recreate it with ops.create_analyst(login, tenant_slug).';
comment on column ops.analysts.login is 'The analyst''s login role.';
comment on column ops.analysts.scope is 'platform (member of rustok_analyst, every tenant), tenant (one tenant), or tenant (login missing).';
comment on column ops.analysts.tenant_slug is 'The tenant a per-tenant analyst sees (null for platform-wide ones).';
comment on column ops.analysts.tenant_id is 'Its id (core.analyst_tenants.tenant_id).';
comment on column ops.analysts.can_login is 'Whether the role may log in (false for a mapping whose login is missing).';
comment on column ops.analysts.settings is 'The role''s own settings (alter role ... set): read-only default and timeouts.';
revoke all on ops.analysts from public;
